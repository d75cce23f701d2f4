//! Word lists that make fake products look like a grocery chain's catalogue. `fake` supplies
//! brands, sentences, cities and streets; it has no product vocabulary, so that lives here.

/// Category names with the kinds of product each one sells.
pub const CATEGORIES: &[(&str, &[&str])] = &[
    (
        "Beverages",
        &[
            "Tea",
            "Coffee",
            "Juice",
            "Lemonade",
            "Sparkling Water",
            "Iced Tea",
            "Smoothie",
            "Cola",
        ],
    ),
    (
        "Snacks",
        &[
            "Chips",
            "Crackers",
            "Pretzels",
            "Popcorn",
            "Granola Bar",
            "Trail Mix",
            "Rice Cakes",
        ],
    ),
    (
        "Dairy",
        &[
            "Milk",
            "Yogurt",
            "Butter",
            "Cheddar",
            "Cream Cheese",
            "Kefir",
            "Mozzarella",
        ],
    ),
    (
        "Bakery",
        &[
            "Sourdough Loaf",
            "Bagels",
            "Croissants",
            "Muffins",
            "Baguette",
            "Cookies",
            "Brioche",
        ],
    ),
    (
        "Produce",
        &[
            "Apples",
            "Bananas",
            "Tomatoes",
            "Spinach",
            "Avocados",
            "Carrots",
            "Blueberries",
        ],
    ),
    (
        "Frozen",
        &[
            "Pizza",
            "Ice Cream",
            "Dumplings",
            "Peas",
            "Fish Fillets",
            "Waffles",
            "Berries Mix",
        ],
    ),
    (
        "Pantry",
        &[
            "Pasta",
            "Olive Oil",
            "Rice",
            "Peanut Butter",
            "Honey",
            "Tomato Sauce",
            "Oats",
        ],
    ),
    (
        "Confectionery",
        &[
            "Chocolate Bar",
            "Chocolate Truffles",
            "Gummy Bears",
            "Toffee",
            "Marshmallows",
            "Fudge",
        ],
    ),
    (
        "Household",
        &[
            "Dish Soap",
            "Laundry Detergent",
            "Paper Towels",
            "Sponges",
            "Trash Bags",
            "Glass Cleaner",
        ],
    ),
    (
        "Personal Care",
        &[
            "Shampoo",
            "Toothpaste",
            "Body Wash",
            "Hand Cream",
            "Deodorant",
            "Lip Balm",
        ],
    ),
    (
        "Pet Supplies",
        &["Dog Food", "Cat Litter", "Cat Treats", "Chew Toy", "Bird Seed"],
    ),
    (
        "Baby",
        &[
            "Diapers",
            "Baby Wipes",
            "Baby Formula",
            "Teething Biscuits",
            "Baby Shampoo",
        ],
    ),
];

/// Words in front of the product kind: flavours, varieties, styles.
pub const VARIETIES: &[&str] = &[
    "Green",
    "Dark Chocolate",
    "Vanilla",
    "Strawberry",
    "Lemon",
    "Mint",
    "Honey",
    "Almond",
    "Coconut",
    "Caramel",
    "Cinnamon",
    "Ginger",
    "Mango",
    "Raspberry",
    "Sea Salt",
    "Smoked",
    "Garlic",
    "Oolong",
    "Jasmine",
    "Earl Grey",
    "Hazelnut",
    "Blueberry",
    "Chili",
    "Lavender",
    "Matcha",
    "Peach",
    "Espresso",
    "Whole Grain",
    "Spicy",
    "Maple",
];

/// Qualities a label boasts of.
pub const QUALITIES: &[&str] = &[
    "Organic",
    "Classic",
    "Premium",
    "Fresh",
    "Crunchy",
    "Creamy",
    "Light",
    "Extra",
    "Natural",
    "Artisan",
    "Family Size",
    "Low Sugar",
    "Gluten Free",
    "Original",
    "Wild",
    "Farmhouse",
];

/// Pack sizes.
pub const SIZES: &[&str] = &[
    "100g", "250g", "500g", "1kg", "330ml", "500ml", "1L", "2L", "6-pack", "12-pack", "XL",
];

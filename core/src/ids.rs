//! Identifier newtypes. An id is a positive 64-bit integer; the constructors refuse anything
//! else, so the rest of the core never sees a zero or negative id.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        // Decoding goes through `new`, so a stored or received zero is refused there too.
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i64);

        impl TryFrom<i64> for $name {
            type Error = String;

            fn try_from(raw: i64) -> Result<Self, Self::Error> {
                Self::new(raw).ok_or_else(|| format!("{raw} is not a positive id"))
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl $name {
            /// Returns the id when `raw` is positive.
            pub fn new(raw: i64) -> Option<Self> {
                (raw > 0).then_some(Self(raw))
            }

            /// The raw value, for adapters and wire formats.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a store.
    StoreId
);
id_type!(
    /// Identifies a product.
    ProductId
);
id_type!(
    /// Identifies an order.
    OrderId
);
id_type!(
    /// Identifies a category.
    CategoryId
);
id_type!(
    /// Identifies a stock adjustment.
    AdjustmentId
);

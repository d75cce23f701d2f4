//! Diesel table definitions, kept by hand in step with `migrations/` (the diesel CLI, which
//! needs libpq, is not required to build or run aforro).

diesel::table! {
    categories (id) {
        id -> Int8,
        name -> Text,
    }
}

diesel::table! {
    /// `search_vector` (tsvector, kept by a trigger) and `title_vector` (generated, migration
    /// 16) are left out: only raw SQL reads them.
    products (id) {
        id -> Int8,
        title -> Text,
        description -> Nullable<Text>,
        price -> Numeric,
        category_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stores (id) {
        id -> Int8,
        name -> Text,
        location -> Text,
    }
}

diesel::table! {
    inventory (store_id, product_id) {
        store_id -> Int8,
        product_id -> Int8,
        quantity -> Int4,
    }
}

diesel::table! {
    orders (id) {
        id -> Int8,
        store_id -> Int8,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    order_items (id) {
        id -> Int8,
        order_id -> Int8,
        product_id -> Int8,
        quantity_requested -> Int4,
        quantity_available -> Int4,
    }
}

diesel::table! {
    idempotency_keys (key) {
        key -> Text,
        fingerprint -> Text,
        order_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    staff_tokens (id) {
        id -> Int8,
        name -> Text,
        token_hash -> Bytea,
        store_ids -> Nullable<Array<Int8>>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    stock_adjustments (id) {
        id -> Int8,
        store_id -> Int8,
        product_id -> Int8,
        delta -> Int4,
        reason -> Text,
        note -> Nullable<Text>,
        quantity_before -> Int4,
        quantity_after -> Int4,
        actor -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    adjustment_idempotency_keys (key) {
        key -> Text,
        fingerprint -> Text,
        adjustment_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> Int8,
        session_hash -> Bytea,
        token_id -> Int8,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}

diesel::joinable!(console_sessions -> staff_tokens (token_id));
diesel::joinable!(products -> categories (category_id));
diesel::joinable!(inventory -> stores (store_id));
diesel::joinable!(inventory -> products (product_id));
diesel::joinable!(orders -> stores (store_id));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_items -> products (product_id));

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    products,
    stores,
    inventory,
    orders,
    order_items,
    idempotency_keys,
    staff_tokens,
    stock_adjustments,
    adjustment_idempotency_keys,
    console_sessions,
);

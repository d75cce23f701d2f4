DROP INDEX product_titles_trgm_0_16_idx, product_titles_trgm_17_20_idx,
    product_titles_trgm_21_24_idx, product_titles_trgm_25_28_idx,
    product_titles_trgm_29_34_idx, product_titles_trgm_35_idx;
CREATE INDEX product_titles_trgm_idx ON product_titles USING gin (title_key gin_trgm_ops);

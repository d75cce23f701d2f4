DROP INDEX products_title_suggest_idx;
CREATE INDEX products_title_length_prefix_idx ON products (length(title), lower(title) text_pattern_ops);

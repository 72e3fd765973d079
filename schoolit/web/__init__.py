"""Web base: layout, static assets, translations, middleware and the error pages shared by all domains."""

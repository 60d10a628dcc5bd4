"""The demo world: a seeded synthetic labour market with a hidden truth, for training and
evaluation. Used by training and eval, never by the online path."""

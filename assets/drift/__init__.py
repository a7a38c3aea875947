"""Environment drift: pre-production versus production."""

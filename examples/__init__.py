"""Examples that are not Parley tasks of their own (see each folder)."""

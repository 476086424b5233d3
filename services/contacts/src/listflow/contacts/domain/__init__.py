"""Pure rules of the customer base: the contact aggregate, matching and merging."""

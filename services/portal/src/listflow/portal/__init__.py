"""Listflow portal: each customer's own link, identity check, accounts and payments."""

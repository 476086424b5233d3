"""Pure rules of the leads service: no I/O imports."""

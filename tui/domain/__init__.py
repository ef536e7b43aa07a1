"""Models (Decimal everywhere) and pure risk math. No I/O, no Textual."""

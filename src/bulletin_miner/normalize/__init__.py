"""Pure `str -> value` parsers: numerals, dates, money. No I/O, no state."""

"""What a loan officer works with: households (search, card) and the human review of automated
grades (decisions, review queue; PIPL Art. 24)."""

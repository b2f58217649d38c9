"""Rules that judge an analysed image: budget checks (budgets/) and, later, advice rules."""

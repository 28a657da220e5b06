"""What the checks say to the user, one module per group: summaries, details, fix texts and commands."""

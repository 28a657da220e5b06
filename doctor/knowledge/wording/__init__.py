"""What the checks say to the user, one module per group (or per check where a group is large): summaries, details, fix texts and commands."""

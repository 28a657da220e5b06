"""What the checks say to a user, by group: summaries, detail lines, fix texts and fix commands."""

"""Text a user reads (summaries, detail lines, fix texts and commands), one module per group."""

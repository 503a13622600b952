"""The citizens' web portal: complain, then follow the complaint by its tracking number (issue 7, in steps)."""

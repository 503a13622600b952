"""The agency's directory: offices, areas, categories, SLAs, calendars, rules and standard replies, loaded from
a file, exported to one and edited on the admin pages through one validating service; every change is a
version, audited; nothing is deleted, only retired."""

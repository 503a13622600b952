"""SLA policies, business calendars, silence and resolution deadlines, and the escalation ladder."""

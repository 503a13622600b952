"""The one grievance store: grievances, citizens, the directory they refer to, and the event log."""

"""Staff and public pages: office inbox and actions, KPIs, the weekly meeting pack, public statistics."""

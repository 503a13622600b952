"""Open311 GeoReport v2: the server other cities' apps and back offices speak, over the same grievance store."""

"""gigscan's own Scrapy signals, so components react to each other without importing each other."""

# Sent by the scan pipeline for every listing whose verdict is ``flagged``; args: ``item`` (a Listing).
# Spiders connect to it to follow the seller of a flagged listing.
listing_flagged = object()

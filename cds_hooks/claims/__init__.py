"""The claim room: the lab's 837P scrubbed by the order rules before it leaves, and the 835
that comes back."""

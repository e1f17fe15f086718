"""Intake: reports that are not cases yet — the Bawaslu forwarding channel, the public form, the queue where the
authority's staff accept, attach or refuse them, the tracking code their senders read the status with — and the
events and election periods that group neutrality cases."""

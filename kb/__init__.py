"""Knowledge-base and FAQ search for customer support."""
import os

# Several native libraries (torch, the e5 engine, faiss) each keep an OpenMP thread pool; busy-waiting
# pools steal the two cores from each other and triple search latency. Must be set before they load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

"""`chat-doctor pythons`: find this machine's interpreters, probe them, recommend one.

gather.py does the I/O (discovery, version managers, the probes); rows.py and recommend.py
judge purely; document.py is the JSON shape; doctor/render/pythons.py prints.
"""

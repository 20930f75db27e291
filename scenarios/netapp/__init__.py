"""Models of the cinder NetApp REST client and its driver surroundings.

Written in this project's own words with cinder 29.0.0's structure (method
names, the order of shared-state accesses and of requests), plus the
downstream fork's EMS and migration path from the incident:

* ``connection``: ``RestNaServer`` (race 1 lives in ``_build_session``);
* ``client``: ``RestClient`` (race 2 lives in ``send_ems_log_message``);
* ``variants``: the fixes, each a subclass overriding only what it changes;
* ``looping``, ``driver``, ``service``, ``migration``: the looping calls, the
  NFS driver, the volume manager and scheduler cache, and the fork's
  cross-vCenter migration;
* ``backend``: wiring one backend to one fake ONTAP, and the preemptive
  model's instrumentation; ``symptoms``: failure messages.
"""

"""Certificates: reading (load, info) and building (build, pkcs12).  Pure: no network."""

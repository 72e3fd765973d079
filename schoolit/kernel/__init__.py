"""The kernel: what every domain and the web layer build on — translations, access declarations, the
main navigation's registry, same-site paths. It imports nothing of schoolit outside itself, so no
domain and no web module ever imports another through it."""

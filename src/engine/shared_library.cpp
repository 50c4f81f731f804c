// libtimbrel.so and its torch module libtimbrel_torch.so are made of the layers' static archives
// linked whole (src/CMakeLists.txt); a shared library target needs a source of its own, and this is it.

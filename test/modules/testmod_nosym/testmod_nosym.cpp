// Test-only shared object without a module description (the loader must refuse it).
extern "C" int testmod_nosym_marker() {
    return 42;
}

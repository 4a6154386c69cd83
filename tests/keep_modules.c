/* Preloaded in the ASan pass (tests/run.sh): dlclose does nothing, so the
 * MPI components Open MPI unloads at MPI_Finalize stay mapped when
 * LeakSanitizer reports at exit. Their memory is then named by module
 * (tests/lsan.supp), not "<unknown module>", and the pass can use ASan's
 * fast unwinder, which sees only a leak's first frames. */
int dlclose(void *handle)
{
    (void)handle;
    return 0;
}

// Loading something heavy (a model, a runtime) once per process, shared by everyone who asks
// while it loads. A failed load is not kept: the next caller tries again (and, the cause
// unchanged, fails with the same sentence), so a passing trouble does not disable a feature for
// the life of the process.
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    if (!loading) {
      const attempt = load();
      loading = attempt;
      attempt.catch(() => {
        if (loading === attempt) loading = null;
      });
    }
    return loading;
  };
}

//! When a long-running command (`serve`, `listen`) is asked to stop:
//! Ctrl-C, or SIGTERM on Unix (what a supervisor or `docker stop` sends).

/// Resolves once the process is asked to stop; never, when no signal can
/// be listened for.
pub(crate) async fn stop_requested() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

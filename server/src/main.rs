//! Starts the portal: on the demo stack without configuration, on Entra ID and Azure DevOps with it.

use std::process::ExitCode;

use server::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_environment() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("devops-pat-portal will not start: {e}");
            eprintln!("See README.md, section \"Settings\".");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(config.log_json);
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    match server::start(&config, shutdown_signal()).await {
        Ok(running) => {
            if running.demo.is_some() {
                tracing::warn!(
                    "DEMO MODE: signing in through the embedded demo identity provider and Azure DevOps stand-in \
                     (set CLIENT_ID, CLIENT_SECRET, AUTHORITY and DEVOPS_ORGANIZATION for a real tenant)"
                );
            }
            tracing::info!(url = %running.public_url, "listening on {}", running.addr);
            if let Some(at) = running.metrics_addr {
                tracing::info!("metrics at http://{at}/metrics");
            }
            let _ = running.task.await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("devops-pat-portal will not start: {e}");
            ExitCode::from(1)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

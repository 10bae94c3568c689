//! Real, independent Odoo clients against `o2c odoo-sim`: the Python
//! libraries odoorpc and odooly run `scripts/odoo-clients/o2c_flow.py`
//! (order -> delivery -> invoice -> payment, asserting the final states)
//! against the real `o2c` binary.
//!
//! Runs when `O2C_TEST_PYTHON` names a Python interpreter with both
//! libraries (`.ci/run` sets it to its virtual environment's python);
//! without it the test prints a skip notice and passes. When the variable
//! is set, anything that goes wrong fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PYTHON_ENV: &str = "O2C_TEST_PYTHON";
const FLOW_TIMEOUT: Duration = Duration::from_secs(180);
const START_TIMEOUT: Duration = Duration::from_secs(60);
const API_KEY: &str = "o2c-python-clients-test-key";

/// The clients and transports the flow runs with: odoorpc (JSON-RPC plus
/// the web session routes), odooly over the web client's routes, and
/// odooly over JSON-RPC.
const CLIENTS: &[(&str, &[&str])] = &[
    ("odoorpc", &["--client", "odoorpc"]),
    (
        "odooly (web)",
        &["--client", "odooly", "--transport", "web"],
    ),
    (
        "odooly (jsonrpc)",
        &["--client", "odooly", "--transport", "jsonrpc"],
    ),
];

fn skip(why: &str) {
    // straight to the process's stderr: the harness captures eprintln!
    let _ = writeln!(
        std::io::stderr(),
        "python_clients: SKIPPED ({why}); set {PYTHON_ENV} to a Python with odoorpc and odooly \
         (pip install -r scripts/odoo-clients/requirements.txt), as .ci/run does"
    );
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// `o2c odoo-sim` on a free port, killed on drop; its log goes to a file.
struct Sim {
    child: Child,
    url: String,
    log: tempfile::NamedTempFile,
}

impl Sim {
    fn start(version: u8, extra: &[&str]) -> Sim {
        let log = tempfile::NamedTempFile::new().expect("sim log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_o2c"))
            .args(["odoo-sim", "--listen", "127.0.0.1:0", "--seed", "demo"])
            .args(["--odoo-version", &version.to_string()])
            .args(extra)
            .env_remove("O2C_SIM_ADMIN_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("sim log file"))
            .spawn()
            .expect("start o2c odoo-sim");
        let stdout = child.stdout.take().expect("sim stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // keep draining, so a later print never meets a closed pipe
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("o2c odoo-sim {version} printed nothing within {START_TIMEOUT:?}");
            }
        };
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("o2c odoo-sim {version}: no URL in its first line {line:?}")
            })
            .to_string();
        Sim { child, url, log }
    }

    /// The end of the sandbox's log (stderr), for failure reports.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Outcome {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Runs the flow script, killing it after `FLOW_TIMEOUT`.
fn run_flow(python: &str, url: &str, password: &str, client_args: &[&str]) -> Outcome {
    let script = repo_root().join("scripts/odoo-clients/o2c_flow.py");
    let mut child = Command::new(python)
        .arg(&script)
        .args(["--url", url, "--db", "o2c", "--login", "admin"])
        .args(["--password", password])
        .args(client_args)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} {}: {e}", script.display()));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for the flow script") {
            Some(status) => break Some(status),
            None if started.elapsed() > FLOW_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    Outcome {
        success: status.is_some_and(|s| s.success()),
        status: match status {
            Some(s) => s.to_string(),
            None => format!("killed after {FLOW_TIMEOUT:?}"),
        },
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

#[test]
fn odoorpc_and_odooly_run_the_order_to_cash_flow() {
    let python = match std::env::var(PYTHON_ENV) {
        Ok(p) if !p.trim().is_empty() => p,
        _ => {
            skip(&format!("{PYTHON_ENV} is not set"));
            return;
        }
    };
    // set on purpose: a broken interpreter or a missing library is a failure
    let probe = Command::new(&python)
        .args([
            "-c",
            "import odoorpc, odooly; print(odoorpc.__version__, odooly.__version__)",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{PYTHON_ENV}={python} cannot be run: {e}"));
    assert!(
        probe.status.success(),
        "{PYTHON_ENV}={python} lacks odoorpc or odooly:\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let _ = writeln!(
        std::io::stderr(),
        "python_clients: odoorpc / odooly {}",
        String::from_utf8_lossy(&probe.stdout).trim()
    );

    let mut failures = Vec::new();
    let mut passed = 0;
    for version in [16u8, 17, 18, 19] {
        let sim = Sim::start(version, &["--api-key", API_KEY]);
        let mut runs: Vec<(String, &str, &[&str])> = CLIENTS
            .iter()
            .map(|(name, args)| (name.to_string(), "admin", *args))
            .collect();
        // an API key given with --api-key stands in for the password
        runs.push((
            "odooly (jsonrpc, API key)".into(),
            API_KEY,
            &["--client", "odooly", "--transport", "jsonrpc"],
        ));
        for (name, password, args) in runs {
            let o = run_flow(&python, &sim.url, password, args);
            let ok = o.success && o.stdout.contains("[o2c_flow] OK:");
            let _ = writeln!(
                std::io::stderr(),
                "python_clients: Odoo {version} {name}: {}",
                if ok { "ok" } else { "FAILED" }
            );
            if ok {
                passed += 1;
            } else {
                failures.push(format!(
                    "Odoo {version}, {name} ({}): {}\n--- stdout\n{}--- stderr\n{}--- sandbox log (tail)\n{}",
                    sim.url,
                    o.status,
                    o.stdout,
                    o.stderr,
                    sim.log_tail()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} Python client runs failed against o2c odoo-sim:\n\n{}",
        failures.len(),
        failures.len() + passed,
        failures.join("\n\n")
    );
}

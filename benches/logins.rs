//! Benchmark (not a test) of accounts under load, with the default argon2id
//! cost: how long one password hash and one login take, and what a storm of
//! concurrent logins does to chat latency for two people already talking.
//!
//! Run with `cargo bench --bench logins`. Prints a summary and one JSON line.
//! Environment: `STORM` logins in the storm (default 32).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chatd::auth::{AuthPool, Cost};
use chatd::config::Config;
use chatd::server;
use chatd::store::Store;

const PASSWORD: &str = "correct-horse-battery";

fn main() {
    let storm: usize = std::env::var("STORM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        text_listen: "127.0.0.1:0".parse().unwrap(),
        // Only the text door: the others' default ports could clash.
        udp_listen: None,
        irc_listen: None,
        database: dir.path().join("chat.db"),
        log_level: log::LevelFilter::Off,
        ..Config::default()
    };
    config.limits.connections_per_ip = storm + 16;
    // The probe says a line every 5 ms: over the default flood rate.
    config.limits.flood_rate = 1e6;
    config.limits.flood_burst = 1e6;

    // 1. One hash and one verification at the default cost, on one worker.
    let pool = AuthPool::new(Cost::default(), 1, 4).unwrap();
    let hash_times: Vec<Duration> = (0..5)
        .map(|_| timed(|| pool.hash(PASSWORD.into()).unwrap()).1)
        .collect();
    let hash = pool.hash(PASSWORD.into()).unwrap();
    let verify_times: Vec<Duration> = (0..5)
        .map(|_| timed(|| pool.verify(hash.clone(), PASSWORD.into()).unwrap()).1)
        .collect();

    // Accounts for the storm, all with the same (default-cost) hash.
    let store = Store::open(&config.database).unwrap();
    for i in 0..storm {
        store
            .create_account(&format!("storm{i}"), &hash, 0)
            .unwrap();
    }
    drop(store);

    let running = server::start(&config).expect("server starts");
    let addr = running.text_addr;

    // 2. One login over TCP, password included.
    let single: Vec<Duration> = (0..5)
        .map(|_| {
            let (mut client, took) = timed(|| login(addr, "storm0", Some(PASSWORD)));
            client.quit();
            took
        })
        .collect();

    // 3. Chat latency between two guests: before, and during, the storm.
    let (sender, receiver) = (login(addr, "alice", None), login(addr, "bob", None));
    let LatencyRun {
        sender,
        receiver,
        latencies: quiet,
    } = measure_latency(sender, receiver, Duration::from_secs(2), || ());
    let storm_times = Arc::new(Mutex::new(Vec::new()));
    let storm_total = Arc::new(Mutex::new(Duration::ZERO));
    let stormy = {
        let storm_times = Arc::clone(&storm_times);
        let storm_total = Arc::clone(&storm_total);
        let run = measure_latency(sender, receiver, Duration::from_secs(2), move || {
            let started = Instant::now();
            let threads: Vec<_> = (0..storm)
                .map(|i| {
                    let times = Arc::clone(&storm_times);
                    thread::spawn(move || {
                        let (_client, took) =
                            timed(|| login(addr, &format!("storm{i}"), Some(PASSWORD)));
                        times.lock().unwrap().push(took);
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            *storm_total.lock().unwrap() = started.elapsed();
        });
        run.latencies
    };
    let storm_total = *storm_total.lock().unwrap();
    let mut storm_times = storm_times.lock().unwrap().clone();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cost = Cost::default();
    println!(
        "argon2id m={} KiB t={} p={}: hash median {:.1} ms, verify median {:.1} ms",
        cost.memory_kib,
        cost.iterations,
        cost.parallelism,
        ms(median(hash_times.clone())),
        ms(median(verify_times.clone()))
    );
    println!(
        "one login over TCP (nick, password, welcome): median {:.1} ms",
        ms(median(single.clone()))
    );
    println!(
        "{storm} concurrent logins: all done in {:.0} ms; each took min {:.0} / median {:.0} / max {:.0} ms",
        ms(storm_total),
        ms(*storm_times.iter().min().unwrap()),
        ms(median(storm_times.clone())),
        ms(*storm_times.iter().max().unwrap())
    );
    storm_times.sort();
    for (label, run) in [("quiet", &quiet), ("during the storm", &stormy)] {
        println!(
            "chat latency {label}: {} messages, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            run.len(),
            ms(percentile(run, 0.50)),
            ms(percentile(run, 0.99)),
            ms(*run.last().unwrap())
        );
    }
    println!(
        "{{\"bench\":\"logins\",\"storm\":{storm},\"hash_ms\":{:.2},\"verify_ms\":{:.2},\"login_ms\":{:.2},\
         \"storm_total_ms\":{:.1},\"storm_login_max_ms\":{:.1},\"quiet_p50_ms\":{:.3},\"quiet_p99_ms\":{:.3},\
         \"storm_p50_ms\":{:.3},\"storm_p99_ms\":{:.3},\"storm_max_ms\":{:.3}}}",
        ms(median(hash_times)),
        ms(median(verify_times)),
        ms(median(single)),
        ms(storm_total),
        ms(*storm_times.last().unwrap()),
        ms(percentile(&quiet, 0.5)),
        ms(percentile(&quiet, 0.99)),
        ms(percentile(&stormy, 0.5)),
        ms(percentile(&stormy, 0.99)),
        ms(*stormy.last().unwrap()),
    );
    running.stop();
}

struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    /// Reads until a line containing `wanted`; prompts (no line end) count.
    fn wait_for(&mut self, wanted: &str) {
        let mut line = Vec::new();
        loop {
            let buf = self.reader.fill_buf().expect("read");
            assert!(
                !buf.is_empty(),
                "connection closed while waiting for {wanted:?}"
            );
            let n = buf.len();
            line.extend_from_slice(buf);
            self.reader.consume(n);
            while let Some(end) = line.iter().position(|&b| b == b'\n') {
                let done: Vec<u8> = line.drain(..=end).collect();
                if String::from_utf8_lossy(&done).contains(wanted) {
                    return;
                }
            }
            if String::from_utf8_lossy(&line).contains(wanted) {
                line.clear();
                return;
            }
        }
    }

    fn quit(&mut self) {
        self.send("/quit");
        self.wait_for("Goodbye");
    }
}

fn login(addr: SocketAddr, nick: &str, password: Option<&str>) -> Client {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    let mut client = Client {
        writer: stream.try_clone().unwrap(),
        reader: BufReader::new(stream),
    };
    client.wait_for("Your nickname: ");
    client.send(nick);
    if let Some(password) = password {
        client.wait_for("Password for");
        client.send(password);
    }
    client.wait_for("Log in successful");
    client
}

struct LatencyRun {
    sender: Client,
    receiver: Client,
    /// Sorted.
    latencies: Vec<Duration>,
}

/// Sends a line every 5 ms from `sender` to the lobby for `span` (and at
/// least until `during` has returned), timing each until `receiver` reads it.
fn measure_latency(
    mut sender: Client,
    mut receiver: Client,
    span: Duration,
    during: impl FnOnce() + Send + 'static,
) -> LatencyRun {
    let busy = Arc::new(AtomicBool::new(true));
    let background = {
        let busy = Arc::clone(&busy);
        thread::spawn(move || {
            during();
            busy.store(false, Ordering::SeqCst);
        })
    };
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut n = 0u64;
    while start.elapsed() < span || busy.load(Ordering::SeqCst) {
        n += 1;
        let marker = format!("latency-probe-{n}");
        let sent = Instant::now();
        sender.send(&marker);
        receiver.wait_for(&marker);
        latencies.push(sent.elapsed());
        sender.wait_for(&marker);
        thread::sleep(Duration::from_millis(5));
    }
    background.join().unwrap();
    latencies.sort();
    LatencyRun {
        sender,
        receiver,
        latencies,
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

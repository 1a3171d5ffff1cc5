//! What the kernel says about the server (and the bench itself) during a
//! measurement: CPU time per thread group, context switches, memory. Linux
//! only (`/proc`).

use std::collections::HashMap;
use std::fs;
use std::time::Instant;

use crate::report::Json;

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux this runs on (no libc here).
const TICKS_PER_SECOND: f64 = 100.0;

/// Fields of `/proc/<pid>/status`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Status {
    pub rss_kib: u64,
    pub threads: u64,
}

/// `None` when the process is gone (or a zombie, not yet reaped).
pub fn status(pid: u32) -> Option<Status> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut status = Status::default();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("State:") {
            if matches!(v.trim_start().chars().next(), Some('Z' | 'X')) {
                return None;
            }
        } else if let Some(v) = line.strip_prefix("VmRSS:") {
            status.rss_kib = first_number(v);
        } else if let Some(v) = line.strip_prefix("Threads:") {
            status.threads = first_number(v);
        }
    }
    Some(status)
}

fn first_number(s: &str) -> u64 {
    s.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// utime + stime in clock ticks from a `stat` file (a process's counts
/// include its exited threads).
fn stat_ticks(path: &str) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: fields start after
    // the last ')'. Field 3 (state) is index 0 there; utime is field 14.
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Busy and total ticks of all CPUs together, from `/proc/stat`.
fn system_ticks() -> Option<(u64, u64)> {
    let text = fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .take(8)
        .filter_map(|n| n.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// One thread of the server.
#[derive(Clone, Debug)]
struct Task {
    group: &'static str,
    ticks: u64,
    voluntary: u64,
    involuntary: u64,
}

/// chatd's threads by role, from their names (`comm`, 15 characters):
/// `hub`, `store` (history and other writes to SQLite), and per connection
/// of the text, IRC and browser doors a reader (`text-PEER`, `irc-PEER`,
/// `web-PEER`) and, in older chatd, a writer
/// (`text-writer-PEER`, `irc-writer-PEER`). Other servers' threads are all
/// "other".
fn group(comm: &str) -> &'static str {
    if comm == "hub" {
        "hub"
    } else if comm == "store" {
        "store"
    } else if comm.starts_with("text-writer") || comm.starts_with("irc-writer") {
        "writers"
    } else if (comm.starts_with("text-") || comm.starts_with("irc-") || comm.starts_with("web-"))
        && !comm.ends_with("-accept")
    {
        "readers"
    } else {
        "other"
    }
}

fn tasks(pid: u32) -> HashMap<u64, Task> {
    let mut out = HashMap::new();
    let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let base = format!("/proc/{pid}/task/{tid}");
        let Some(ticks) = stat_ticks(&format!("{base}/stat")) else {
            continue;
        };
        let Ok(status) = fs::read_to_string(format!("{base}/status")) else {
            continue;
        };
        let mut task = Task {
            group: "other",
            ticks,
            voluntary: 0,
            involuntary: 0,
        };
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("Name:") {
                task.group = group(v.trim());
            } else if let Some(v) = line.strip_prefix("voluntary_ctxt_switches:") {
                task.voluntary = first_number(v);
            } else if let Some(v) = line.strip_prefix("nonvoluntary_ctxt_switches:") {
                task.involuntary = first_number(v);
            }
        }
        out.insert(tid, task);
    }
    out
}

/// A snapshot at one moment.
pub struct Sample {
    at: Instant,
    server: Option<(u64, HashMap<u64, Task>, Status)>,
    bench_ticks: u64,
    system: (u64, u64),
}

/// Takes a snapshot; `per_thread` reads every server thread (fine for a
/// thousand, slow for twenty thousand).
pub fn sample(server: Option<u32>, per_thread: bool) -> Sample {
    let server = server.and_then(|pid| {
        let ticks = stat_ticks(&format!("/proc/{pid}/stat"))?;
        let tasks = if per_thread {
            tasks(pid)
        } else {
            HashMap::new()
        };
        Some((ticks, tasks, status(pid)?))
    });
    Sample {
        at: Instant::now(),
        server,
        bench_ticks: stat_ticks("/proc/self/stat").unwrap_or(0),
        system: system_ticks().unwrap_or((0, 0)),
    }
}

/// Per thread group of the server: CPU (in cores) and context switches.
#[derive(Debug, Default, Clone)]
pub struct GroupUsage {
    pub threads: usize,
    pub cpu: f64,
    pub voluntary: u64,
    pub involuntary: u64,
}

/// What happened between two samples. CPU figures are in cores (1.0 = one
/// core busy all the time); the machine has `nproc` of them.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    pub seconds: f64,
    pub server_cpu: Option<f64>,
    pub groups: Vec<(&'static str, GroupUsage)>,
    pub server_rss_kib: Option<u64>,
    pub server_threads: Option<u64>,
    pub bench_cpu: f64,
    pub system_busy: f64,
    pub cpus: f64,
}

impl Usage {
    pub fn between(a: &Sample, b: &Sample) -> Usage {
        let seconds = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
        let cores = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / seconds;
        let mut usage = Usage {
            seconds,
            bench_cpu: cores(b.bench_ticks.saturating_sub(a.bench_ticks)),
            system_busy: cores(b.system.0.saturating_sub(a.system.0)),
            cpus: (b.system.1.saturating_sub(a.system.1)) as f64 / TICKS_PER_SECOND / seconds,
            ..Usage::default()
        };
        if let (Some((ta, tasks_a, _)), Some((tb, tasks_b, status))) = (&a.server, &b.server) {
            usage.server_cpu = Some(cores(tb.saturating_sub(*ta)));
            usage.server_rss_kib = Some(status.rss_kib);
            usage.server_threads = Some(status.threads);
            let mut groups: HashMap<&'static str, GroupUsage> = HashMap::new();
            for (tid, after) in tasks_b {
                // A thread that started in between counts from zero.
                let before = tasks_a.get(tid);
                let g = groups.entry(after.group).or_default();
                g.threads += 1;
                g.cpu += cores(after.ticks - before.map_or(0, |t| t.ticks.min(after.ticks)));
                g.voluntary +=
                    after.voluntary - before.map_or(0, |t| t.voluntary.min(after.voluntary));
                g.involuntary +=
                    after.involuntary - before.map_or(0, |t| t.involuntary.min(after.involuntary));
            }
            let mut groups: Vec<_> = groups.into_iter().collect();
            groups.sort_by(|x, y| y.1.cpu.total_cmp(&x.1.cpu));
            usage.groups = groups;
        }
        usage
    }

    /// Everything else on the machine (other builds, other benchmarks).
    pub fn others(&self) -> f64 {
        (self.system_busy - self.server_cpu.unwrap_or(0.0) - self.bench_cpu).max(0.0)
    }

    pub fn context_switches(&self) -> (u64, u64) {
        self.groups.iter().fold((0, 0), |(v, n), (_, g)| {
            (v + g.voluntary, n + g.involuntary)
        })
    }

    pub fn json(&self) -> Json {
        let mut fields = vec![
            ("seconds", Json::F(self.seconds)),
            ("cpus", Json::F(self.cpus)),
            ("system_busy_cores", Json::F(self.system_busy)),
            ("bench_cores", Json::F(self.bench_cpu)),
            ("others_cores", Json::F(self.others())),
        ];
        if let Some(cpu) = self.server_cpu {
            fields.push(("server_cores", Json::F(cpu)));
            if !self.groups.is_empty() {
                let (v, n) = self.context_switches();
                fields.push(("server_voluntary_ctxt_switches", Json::U(v)));
                fields.push(("server_nonvoluntary_ctxt_switches", Json::U(n)));
            }
            if let Some(rss) = self.server_rss_kib {
                fields.push(("server_rss_kib", Json::U(rss)));
            }
            if let Some(t) = self.server_threads {
                fields.push(("server_threads", Json::U(t)));
            }
            let groups = self
                .groups
                .iter()
                .map(|(name, g)| {
                    (
                        *name,
                        Json::obj(vec![
                            ("threads", Json::U(g.threads as u64)),
                            ("cores", Json::F(g.cpu)),
                            ("voluntary_ctxt_switches", Json::U(g.voluntary)),
                            ("nonvoluntary_ctxt_switches", Json::U(g.involuntary)),
                        ]),
                    )
                })
                .collect();
            fields.push(("server_threads_by_role", Json::obj(groups)));
        }
        Json::obj(fields)
    }

    /// A few human lines.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "  machine: {:.2} of {:.0} cores busy: bench {:.2}, server {}, others {:.2}\n",
            self.system_busy,
            self.cpus,
            self.bench_cpu,
            self.server_cpu
                .map_or("n/a (no --server-pid, or it is gone)".to_string(), |c| {
                    format!("{c:.2}")
                }),
            self.others(),
        );
        if self.server_cpu.is_some() && !self.groups.is_empty() {
            let (v, n) = self.context_switches();
            s += &format!(
                "  server context switches: {:.0}/s voluntary, {:.0}/s involuntary\n",
                v as f64 / self.seconds,
                n as f64 / self.seconds
            );
            for (name, g) in &self.groups {
                s += &format!(
                    "    {name:<8} {:>5} threads  {:.2} cores  {:>9.0} vol/s {:>8.0} invol/s\n",
                    g.threads,
                    g.cpu,
                    g.voluntary as f64 / self.seconds,
                    g.involuntary as f64 / self.seconds
                );
            }
        }
        s
    }
}

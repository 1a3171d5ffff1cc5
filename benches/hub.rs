//! Criterion benchmark of the hub state machine alone, in-process: how many
//! commands per second the single hub thread can apply, broadcasting to 100
//! and 1,000 channel members. The ceiling for the whole server: every line
//! anyone says goes through here.
//!
//! Run with `cargo bench --bench hub`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use chatd::clock::Now;
use chatd::hub::{ChannelSpec, Command, HistoryConfig, Hub, HubConfig, MessageIds, SessionId};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn hub_with_members(members: u64, history: HistoryConfig) -> (Hub, Now) {
    let mut hub = Hub::new(HubConfig {
        nick_length: 30,
        channel_length: 32,
        lobby: None,
        channels: vec![ChannelSpec {
            name: "Weather".into(),
            description: "Talk about the weather".into(),
        }],
        saved_channels: Vec::new(),
        glines: Vec::new(),
        history,
        saved_history: Vec::new(),
        message_ids: MessageIds::default(),
    });
    let now = Now::read();
    let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    let mut effects = Vec::new();
    for id in 0..members {
        let session = SessionId(id);
        let commands = [
            Command::Connect {
                peer,
                idle_timeout: Duration::from_secs(3600),
            },
            Command::Login {
                nick: format!("user{id}"),
                identity: None,
            },
            Command::Join {
                channel: "Weather".into(),
            },
        ];
        for command in commands {
            hub.handle(now, session, command, &mut effects);
            effects.clear();
        }
    }
    (hub, now)
}

fn broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("say to a channel");
    for members in [100u64, 1000] {
        for (label, history) in [
            ("history off", HistoryConfig::off()),
            (
                "history on",
                HistoryConfig {
                    replay: 20,
                    keep: 1000,
                    max_age: Duration::from_secs(86_400),
                },
            ),
        ] {
            let (mut hub, now) = hub_with_members(members, history);
            let mut effects = Vec::with_capacity(members as usize + 1);
            group.throughput(Throughput::Elements(1));
            group.bench_function(BenchmarkId::new(label, members), |b| {
                b.iter(|| {
                    let say = Command::Say {
                        tags: chatd::model::ClientTags::NONE,
                        channel: None,
                        text: "is it true about the rain in spain?".into(),
                        action: false,
                    };
                    hub.handle(now, SessionId(0), say, &mut effects);
                    black_box(&effects);
                    effects.clear();
                })
            });
        }
    }
    group.finish();
}

fn private(c: &mut Criterion) {
    let (mut hub, now) = hub_with_members(1000, HistoryConfig::off());
    let mut effects = Vec::new();
    let mut group = c.benchmark_group("private message");
    group.throughput(Throughput::Elements(1));
    group.bench_function("among 1000 users", |b| {
        b.iter(|| {
            let private = Command::Private {
                tags: chatd::model::ClientTags::NONE,
                to: "user999".into(),
                text: "why that name?".into(),
                action: false,
            };
            hub.handle(now, SessionId(1), private, &mut effects);
            black_box(&effects);
            effects.clear();
        })
    });
    group.finish();
}

fn join_part(c: &mut Criterion) {
    let (mut hub, now) = hub_with_members(100, HistoryConfig::off());
    let mut effects = Vec::new();
    let mut group = c.benchmark_group("join and part");
    group.throughput(Throughput::Elements(2));
    group.bench_function("a channel of 100", |b| {
        b.iter(|| {
            let session = SessionId(0);
            let part = Command::Part {
                channel: None,
                reason: None,
            };
            hub.handle(now, session, part, &mut effects);
            let join = Command::Join {
                channel: "Weather".into(),
            };
            hub.handle(now, session, join, &mut effects);
            black_box(&effects);
            effects.clear();
        })
    });
    group.finish();
}

criterion_group!(benches, broadcast, private, join_part);
criterion_main!(benches);

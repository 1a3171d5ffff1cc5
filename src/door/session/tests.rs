//! The session machine on its own: inputs in, outputs out, with the
//! answers a door would give typed in by hand.

use super::*;
use crate::model::name::NickError;

fn rules(allow_guests: bool) -> Rules {
    Rules {
        allow_guests,
        min_password_length: 6,
        nick_length: 16,
    }
}

fn record(id: i64, nick: &str) -> AccountRecord {
    AccountRecord {
        id: AccountId(id),
        nick: nick.into(),
        password_hash: "$argon2id$...".into(),
        created_at: 0,
        last_login_at: None,
        last_login_from: None,
        last_seen_at: None,
        login_count: 0,
    }
}

fn identity(id: i64) -> Identity {
    Identity {
        account: AccountId(id),
        watch: Vec::new(),
        ignore: Vec::new(),
        memos: Vec::new(),
    }
}

fn step(session: &mut Session, input: Input) -> Vec<Output> {
    let mut out = Vec::new();
    session.step(input, &mut out);
    out
}

fn answer(session: &mut Session, answer: Answer) -> Vec<Output> {
    step(session, Input::Answer(answer))
}

fn prompt(prompt: Prompt) -> Output {
    Output::Say(Reply::Prompt(prompt))
}

fn error(why: ChatError) -> Output {
    Output::Say(Reply::Event(Event::Error(why)))
}

fn ask_nick() -> Output {
    prompt(Prompt::Nick { first: false })
}

/// A guest logged in as `nick`.
fn guest(nick: &str) -> Session {
    let mut s = Session::new(rules(true));
    step(&mut s, Input::Nick(nick.into()));
    answer(&mut s, Answer::Account(Ok(None)));
    answer(&mut s, Answer::Hub(true));
    s
}

/// The owner of account `id`, logged in as `nick`.
fn owner(id: i64, nick: &str) -> Session {
    let mut s = Session::new(rules(true));
    step(&mut s, Input::Nick(nick.into()));
    answer(&mut s, Answer::Account(Ok(Some(record(id, nick)))));
    answer(&mut s, Answer::Done(Ok(())));
    step(&mut s, Input::Password("secret".into()));
    answer(&mut s, Answer::Identity(Ok(identity(id))));
    answer(&mut s, Answer::Hub(true));
    assert_eq!(s.account(), Some(AccountId(id)));
    s
}

#[test]
fn the_first_prompt_greets() {
    let mut s = Session::new(rules(true));
    assert_eq!(
        step(&mut s, Input::Start),
        [prompt(Prompt::Nick { first: true })]
    );
    assert_eq!(s.expects(), Expect::Nick);
}

#[test]
fn a_guest_logs_in_once_the_hub_takes_the_nickname() {
    let mut s = Session::new(rules(true));
    assert_eq!(
        step(&mut s, Input::Nick("lincoln".into())),
        [Output::Ask(Request::Owner("lincoln".into()))]
    );
    assert!(s.waiting());
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [
            Output::Hub(Command::Login {
                nick: "lincoln".into(),
                identity: None
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
    // Lines read meanwhile must not be taken for nicknames.
    assert_eq!(s.expects(), Expect::Nick);
    assert!(answer(&mut s, Answer::Hub(true)).is_empty());
    assert_eq!(s.expects(), Expect::Chat);
    assert_eq!(s.nick(), Some("lincoln"));
    assert_eq!(s.account(), None);
    assert!(s.take_logged_in_now());
    assert!(!s.take_logged_in_now(), "said once");
}

#[test]
fn a_nickname_the_hub_refuses_is_asked_for_again() {
    let mut s = Session::new(rules(true));
    step(&mut s, Input::Nick("taken".into()));
    answer(&mut s, Answer::Account(Ok(None)));
    assert_eq!(answer(&mut s, Answer::Hub(false)), [ask_nick()]);
    assert_eq!(s.expects(), Expect::Nick);
    assert_eq!(s.nick(), None);
}

#[test]
fn a_registered_nickname_asks_for_its_password_and_logs_in_to_the_account() {
    let mut s = Session::new(rules(false));
    step(&mut s, Input::Nick("alice".into()));
    let alice = record(7, "Alice");
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(Some(alice.clone())))),
        [Output::Ask(Request::Throttle(alice.clone()))]
    );
    assert_eq!(
        answer(&mut s, Answer::Done(Ok(()))),
        [prompt(Prompt::Password {
            nick: "Alice".into()
        })]
    );
    assert_eq!(s.expects(), Expect::Password);
    assert_eq!(
        step(&mut s, Input::Password("secret".into())),
        [
            Output::Say(Reply::EchoOn),
            Output::Ask(Request::Password {
                account: alice,
                password: "secret".into()
            }),
        ]
    );
    // The account's own spelling of the nickname is the one logged in.
    assert_eq!(
        answer(&mut s, Answer::Identity(Ok(identity(7)))),
        [
            Output::Hub(Command::Login {
                nick: "Alice".into(),
                identity: Some(identity(7))
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
    answer(&mut s, Answer::Hub(true));
    assert_eq!(s.account(), Some(AccountId(7)));
}

#[test]
fn a_wrong_password_drops_what_was_typed_ahead_until_the_client_is_quiet() {
    let mut s = Session::new(rules(true));
    step(&mut s, Input::Nick("alice".into()));
    answer(&mut s, Answer::Account(Ok(Some(record(7, "alice")))));
    answer(&mut s, Answer::Done(Ok(())));
    step(&mut s, Input::Password("wrong".into()));
    assert_eq!(
        answer(&mut s, Answer::Identity(Err(ChatError::WrongPassword))),
        [error(ChatError::WrongPassword)]
    );
    assert!(s.discarding());
    assert_eq!(s.expects(), Expect::Discard);
    assert_eq!(step(&mut s, Input::Quiet), [ask_nick()]);
    assert_eq!(s.expects(), Expect::Nick);
}

#[test]
fn the_login_limit_refuses_before_the_password_is_asked_for() {
    let mut s = Session::new(rules(true));
    step(&mut s, Input::Nick("alice".into()));
    answer(&mut s, Answer::Account(Ok(Some(record(7, "alice")))));
    let why = ChatError::LoginsThrottled { wait_secs: 30 };
    assert_eq!(answer(&mut s, Answer::Done(Err(why.clone()))), [error(why)]);
    assert!(
        s.discarding(),
        "the password typed after the nickname is dropped"
    );
}

#[test]
fn without_guests_a_new_nickname_is_registered_with_a_password_typed_twice() {
    let mut s = Session::new(rules(false));
    step(&mut s, Input::Nick("newbie".into()));
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [prompt(Prompt::NewPassword {
            nick: "newbie".into(),
            min_length: 6
        })]
    );
    assert_eq!(
        step(&mut s, Input::Password("longenough".into())),
        [Output::Say(Reply::EchoOn), prompt(Prompt::RepeatPassword)]
    );
    assert_eq!(
        step(&mut s, Input::Password("longenough".into())),
        [
            Output::Say(Reply::EchoOn),
            Output::Ask(Request::Register {
                nick: "newbie".into(),
                password: "longenough".into()
            }),
        ]
    );
    assert_eq!(
        answer(&mut s, Answer::Registered(Ok(AccountId(3)))),
        [
            Output::Say(Reply::Event(Event::Registered {
                nick: "newbie".into()
            })),
            Output::Hub(Command::Login {
                nick: "newbie".into(),
                identity: Some(identity(3))
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
}

#[test]
fn without_guests_a_short_or_mistyped_new_password_is_refused() {
    let mut s = Session::new(rules(false));
    step(&mut s, Input::Nick("newbie".into()));
    answer(&mut s, Answer::Account(Ok(None)));
    assert_eq!(
        step(&mut s, Input::Password("short".into())),
        [
            Output::Say(Reply::EchoOn),
            error(ChatError::PasswordTooShort { min: 6 })
        ]
    );
    assert!(s.discarding());
    step(&mut s, Input::Quiet);
    step(&mut s, Input::Nick("newbie".into()));
    answer(&mut s, Answer::Account(Ok(None)));
    step(&mut s, Input::Password("longenough".into()));
    assert_eq!(
        step(&mut s, Input::Password("longenuff".into())),
        [
            Output::Say(Reply::EchoOn),
            error(ChatError::PasswordsDiffer)
        ]
    );
    assert!(s.discarding());
}

#[test]
fn without_guests_a_bad_nickname_is_refused_before_a_password_is_asked_for() {
    let mut s = Session::new(rules(false));
    step(&mut s, Input::Nick("no way".into()));
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [
            error(ChatError::BadNick(NickError::BadChar(' '))),
            ask_nick()
        ]
    );
}

#[test]
fn nick_change_to_someone_elses_account_or_to_a_guest_name_without_guests_is_refused() {
    let mut s = owner(7, "alice");
    step(&mut s, Input::ChangeNick { nick: "bob".into() });
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(Some(record(8, "Bob"))))),
        [Output::Say(Reply::NickRegistered {
            asked: "bob".into(),
            owner: "Bob".into()
        })]
    );
    let mut s = Session {
        rules: rules(false),
        ..owner(7, "alice")
    };
    step(&mut s, Input::ChangeNick { nick: "zed".into() });
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [Output::Say(Reply::NoGuests { nick: "zed".into() })]
    );
    assert_eq!(s.nick(), Some("alice"));
}

#[test]
fn nick_change_keeps_the_account_only_for_a_change_of_case() {
    let mut s = owner(7, "alice");
    step(
        &mut s,
        Input::ChangeNick {
            nick: "Alice".into(),
        },
    );
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(Some(record(7, "alice"))))),
        [
            Output::Hub(Command::ChangeNick {
                nick: "Alice".into(),
                identity: None
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
    answer(&mut s, Answer::Hub(true));
    assert_eq!((s.nick(), s.account()), (Some("Alice"), Some(AccountId(7))));

    step(&mut s, Input::ChangeNick { nick: "al".into() });
    answer(&mut s, Answer::Account(Ok(None)));
    answer(&mut s, Answer::Hub(true));
    assert_eq!((s.nick(), s.account()), (Some("al"), None));
}

#[test]
fn nick_change_the_hub_refuses_changes_nothing() {
    let mut s = guest("alice");
    step(&mut s, Input::ChangeNick { nick: "bob".into() });
    answer(&mut s, Answer::Account(Ok(None)));
    assert!(answer(&mut s, Answer::Hub(false)).is_empty());
    assert_eq!(s.nick(), Some("alice"));
}

#[test]
fn register_while_logged_in_tells_the_hub_the_account() {
    let mut s = guest("alice");
    assert_eq!(
        step(
            &mut s,
            Input::Register {
                password: "secret1".into()
            }
        ),
        [Output::Ask(Request::Register {
            nick: "alice".into(),
            password: "secret1".into()
        })]
    );
    assert_eq!(
        answer(&mut s, Answer::Registered(Ok(AccountId(4)))),
        [Output::Hub(Command::Identified {
            account: AccountId(4)
        })]
    );
    assert_eq!(
        step(
            &mut s,
            Input::Register {
                password: "again".into()
            }
        ),
        [Output::Say(Reply::AlreadyRegistered {
            nick: "alice".into()
        })]
    );
}

#[test]
fn password_change_needs_an_account_and_says_when_it_is_done() {
    let mut s = guest("alice");
    let change = || Input::ChangePassword {
        old: "a".into(),
        new: "b".into(),
    };
    assert_eq!(step(&mut s, change()), [error(ChatError::NotRegistered)]);
    let mut s = owner(7, "alice");
    assert_eq!(
        step(&mut s, change()),
        [Output::Ask(Request::ChangePassword {
            account: AccountId(7),
            old: "a".into(),
            new: "b".into()
        })]
    );
    assert_eq!(
        answer(&mut s, Answer::Done(Ok(()))),
        [Output::Say(Reply::Event(Event::Notice(
            "Your password has been changed.".into()
        )))]
    );
}

#[test]
fn oper_goes_to_the_hub_only_with_the_right_password() {
    let mut s = guest("alice");
    let oper = || Input::Oper {
        name: "root".into(),
        password: "pw".into(),
    };
    step(&mut s, oper());
    assert_eq!(
        answer(&mut s, Answer::Done(Ok(()))),
        [Output::Hub(Command::Oper {
            name: "root".into()
        })]
    );
    step(&mut s, oper());
    assert_eq!(
        answer(&mut s, Answer::Done(Err(ChatError::NoOperHost))),
        [error(ChatError::NoOperHost)]
    );
}

#[test]
fn account_commands_before_login_do_nothing() {
    let mut s = Session::new(rules(true));
    assert!(step(
        &mut s,
        Input::Register {
            password: "secret1".into()
        }
    )
    .is_empty());
    assert!(!s.waiting());
}

// Logging in all at once (IRC registration, UDP LOGIN) and SASL.

fn credentials(nick: &str) -> Input {
    Input::Credentials {
        nick: nick.into(),
        password: None,
    }
}

#[test]
fn credentials_with_pass_log_in_to_the_account_and_a_refusal_waits_for_the_client() {
    let mut s = Session::new(rules(true));
    step(&mut s, Input::Pass("secret".into()));
    step(&mut s, credentials("alice"));
    let alice = record(7, "Alice");
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(Some(alice.clone())))),
        [Output::Ask(Request::Password {
            account: alice,
            password: "secret".into()
        })]
    );
    answer(&mut s, Answer::Identity(Ok(identity(7))));
    // Refused by the hub: no prompt, the client picks another nickname.
    assert!(answer(&mut s, Answer::Hub(false)).is_empty());
    assert!(!s.logged_in());
    // The PASS was used up on the registered nickname.
    step(&mut s, credentials("alice"));
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(Some(record(7, "Alice"))))),
        [Output::Say(Reply::NickRegistered {
            asked: "alice".into(),
            owner: "Alice".into()
        })]
    );
}

#[test]
fn credentials_with_a_wrong_password_are_refused_and_guests_need_no_password() {
    let mut s = Session::new(rules(true));
    step(
        &mut s,
        Input::Credentials {
            nick: "alice".into(),
            password: Some("wrong".into()),
        },
    );
    answer(&mut s, Answer::Account(Ok(Some(record(7, "alice")))));
    assert_eq!(
        answer(&mut s, Answer::Identity(Err(ChatError::WrongPassword))),
        [Output::Say(Reply::PasswordRefused(
            ChatError::WrongPassword
        ))]
    );
    step(&mut s, credentials("guest"));
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [
            Output::Hub(Command::Login {
                nick: "guest".into(),
                identity: None
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
    answer(&mut s, Answer::Hub(true));
    assert!(s.logged_in());
}

#[test]
fn credentials_without_guests_for_an_unregistered_nickname_say_so() {
    let mut s = Session::new(rules(false));
    step(&mut s, credentials("zed"));
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [Output::Say(Reply::NoGuests { nick: "zed".into() })]
    );
}

fn authenticate(s: &mut Session, data: &str) -> Vec<Output> {
    step(s, Input::Authenticate(data.into()))
}

#[test]
fn sasl_plain_proves_the_account_the_login_then_uses() {
    use base64::Engine as _;
    let mut s = Session::new(rules(true));
    assert_eq!(
        authenticate(&mut s, "PLAIN"),
        [Output::Say(Reply::Sasl(SaslReply::Continue))]
    );
    let plain = base64::engine::general_purpose::STANDARD.encode("\0alice\0secret");
    assert_eq!(
        authenticate(&mut s, &plain),
        [Output::Ask(Request::Account("alice".into()))]
    );
    let alice = record(7, "Alice");
    answer(&mut s, Answer::Account(Ok(Some(alice))));
    assert_eq!(
        answer(&mut s, Answer::Identity(Ok(identity(7)))),
        [Output::Say(Reply::Sasl(SaslReply::Succeeded {
            nick: "Alice".into()
        }))]
    );
    // Whatever NICK asked for, the login is the proved account's.
    assert_eq!(
        step(&mut s, credentials("whoever")),
        [
            Output::Hub(Command::Login {
                nick: "Alice".into(),
                identity: Some(identity(7))
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
    answer(&mut s, Answer::Hub(true));
    assert_eq!(
        authenticate(&mut s, "PLAIN"),
        [Output::Say(Reply::Sasl(SaslReply::AlreadyAuthenticated))]
    );
}

#[test]
fn sasl_fails_for_an_unknown_account_a_wrong_password_or_garbage() {
    use base64::Engine as _;
    let plain = base64::engine::general_purpose::STANDARD.encode("\0alice\0secret");
    let failed = [Output::Say(Reply::Sasl(SaslReply::Failed))];
    let mut s = Session::new(rules(true));
    authenticate(&mut s, "PLAIN");
    authenticate(&mut s, &plain);
    assert_eq!(answer(&mut s, Answer::Account(Ok(None))), failed);
    authenticate(&mut s, "PLAIN");
    authenticate(&mut s, &plain);
    answer(&mut s, Answer::Account(Ok(Some(record(7, "alice")))));
    assert_eq!(
        answer(&mut s, Answer::Identity(Err(ChatError::WrongPassword))),
        failed
    );
    authenticate(&mut s, "PLAIN");
    assert_eq!(authenticate(&mut s, "%%%"), failed);
    assert_eq!(
        authenticate(&mut s, "EXTERNAL"),
        [Output::Say(Reply::Sasl(SaslReply::Mechanisms))]
    );
}

/// The text of a SCRAM challenge the session said, decoded.
fn challenge(outputs: &[Output]) -> String {
    use base64::Engine as _;
    match outputs {
        [Output::Say(Reply::Sasl(SaslReply::Challenge(data)))] => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap();
            String::from_utf8(bytes).unwrap()
        }
        other => panic!("no challenge: {other:?}"),
    }
}

#[test]
fn scram_sha_256_proves_the_account_and_a_wrong_proof_fails() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let credential = crate::scram::credential("secret", 16);
    for (password, works) in [("secret", true), ("wrong", false)] {
        let mut s = Session::new(rules(true));
        assert_eq!(
            authenticate(&mut s, "SCRAM-SHA-256"),
            [Output::Say(Reply::Sasl(SaslReply::Continue))]
        );
        let bare = "n=alice,r=cnonce";
        assert_eq!(
            authenticate(&mut s, &b64.encode(format!("n,,{bare}"))),
            [Output::Ask(Request::ScramAccount("alice".into()))]
        );
        let found = Ok((Some(record(7, "alice")), credential.clone()));
        let server_first = challenge(&answer(
            &mut s,
            Answer::Scram {
                found,
                nonce: "snonce".into(),
            },
        ));
        let salt = b64.encode(&credential.salt);
        assert_eq!(server_first, format!("r=cnoncesnonce,s={salt},i=16"));
        // The client's side, as RFC 5802 §3 computes it.
        let salted = crate::scram::salted_password(password, &credential.salt, 16);
        let client_key = crate::scram::hmac(&salted, b"Client Key");
        let stored_key = <sha2::Sha256 as sha2::Digest>::digest(client_key);
        let without_proof = "c=biws,r=cnoncesnonce";
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let signature = crate::scram::hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let last = format!("{without_proof},p={}", b64.encode(proof));
        assert_eq!(
            authenticate(&mut s, &b64.encode(last)),
            [Output::Ask(Request::ScramLogIn {
                account: record(7, "alice"),
                proved: works
            })]
        );
        if !works {
            let refused = answer(&mut s, Answer::Identity(Err(ChatError::WrongPassword)));
            assert_eq!(refused, [Output::Say(Reply::Sasl(SaslReply::Failed))]);
            continue;
        }
        let server_final = challenge(&answer(&mut s, Answer::Identity(Ok(identity(7)))));
        let server_key = crate::scram::hmac(&salted, b"Server Key");
        let verifier = crate::scram::hmac(&server_key, auth_message.as_bytes());
        assert_eq!(server_final, format!("v={}", b64.encode(verifier)));
        assert_eq!(
            authenticate(&mut s, "+"),
            [Output::Say(Reply::Sasl(SaslReply::Succeeded {
                nick: "alice".into()
            }))]
        );
    }
}

#[test]
fn identify_takes_the_accounts_nickname_and_says_so_once_the_hub_agrees() {
    let mut s = guest("guest1");
    step(
        &mut s,
        Input::Identify {
            nick: Some("alice".into()),
            password: "secret".into(),
        },
    );
    answer(&mut s, Answer::Account(Ok(Some(record(7, "Alice")))));
    assert_eq!(
        answer(&mut s, Answer::Identity(Ok(identity(7)))),
        [
            Output::Hub(Command::ChangeNick {
                nick: "Alice".into(),
                identity: Some(identity(7))
            }),
            Output::Ask(Request::HubAnswer),
        ]
    );
    assert_eq!(
        answer(&mut s, Answer::Hub(true)),
        [Output::Say(Reply::Identified {
            nick: "Alice".into()
        })]
    );
    assert_eq!((s.nick(), s.account()), (Some("Alice"), Some(AccountId(7))));
    step(
        &mut s,
        Input::Identify {
            nick: Some("nobody".into()),
            password: "x".into(),
        },
    );
    assert_eq!(
        answer(&mut s, Answer::Account(Ok(None))),
        [Output::Say(Reply::NoSuchAccount {
            nick: "nobody".into()
        })]
    );
}

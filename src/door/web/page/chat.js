// chatd's browser page: one WebSocket to this server, JSON both ways
// (docs/web-protocol.md). Every piece of text from the server goes into the
// page as textContent, never as HTML, so nothing anyone types can become
// markup or script. No framework, no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_LINES = 500;
  const BACKOFF_MAX = 30;

  const state = {
    socket: null,
    nick: null,
    // Kept only in this page's memory, to log in again after a reconnect.
    credentials: null,
    current: null, // the hub's current channel
    viewing: null, // the conversation on screen: "#Channel" or "@nick"
    conversations: new Map(),
    users: [],
    usersChannel: null,
    channelList: [],
    backoff: 1,
    everConnected: false,
    reconnectTimer: null,
    // After a reconnect, until this channel (joined again last) is joined:
    // the view stays where the person left it.
    rejoinLast: null,
    serverOper: false,
  };

  // ---- the connection ------------------------------------------------------

  function connect() {
    if (state.socket) return;
    clearTimeout(state.reconnectTimer);
    if (state.everConnected) offline("Reconnecting…");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.backoff = 1;
      $("offline").hidden = true;
      status(state.everConnected ? "Connected again." : "Connected.", "ok");
      state.everConnected = true;
      if (state.credentials) {
        send(Object.assign({ type: "login" }, state.credentials));
      }
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handle(message);
    });
    socket.addEventListener("close", (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      // Doubling, up to BACKOFF_MAX, with a fifth either way so that the
      // pages a restart cut off do not all come back in the same instant.
      const wait = Math.max(1, Math.round(state.backoff * (0.8 + Math.random() * 0.4)));
      state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX);
      const why = event.reason ? " (" + event.reason + ")" : "";
      status("Disconnected" + why + ".", "down");
      offline("Disconnected from the server" + why + ". Reconnecting in " + wait + " s…");
      // Once per lost connection, not once per failed attempt.
      if (state.nick) systemLineEverywhere("Disconnected from the server" + why + ".");
      state.nick = null;
      if (!state.credentials) {
        // Logged out for good (idle, banned, replaced): log in again by hand.
        $("chat-screen").hidden = true;
        $("login-screen").hidden = false;
      }
      state.reconnectTimer = setTimeout(connect, wait * 1000);
    });
  }

  function send(message) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(message));
      return true;
    }
    systemLine(view(), "Not connected: that was not sent.", "error");
    return false;
  }

  // The banner over the page while there is no connection.
  function offline(text) {
    $("offline-text").textContent = text;
    $("offline").hidden = false;
  }

  function status(text, kind) {
    const element = $("status");
    element.textContent = text;
    element.className = kind || "";
  }

  // ---- conversations (tabs) ------------------------------------------------

  function conversation(key) {
    let c = state.conversations.get(key);
    if (!c) {
      // `ids`: the message ids of the lines shown, so that a line heard
      // again (a history replay after a reconnect) is not shown twice.
      c = { key: key, lines: [], ids: new Set(), unread: 0, topic: "" };
      state.conversations.set(key, c);
      renderTabs();
    }
    return c;
  }

  function view() {
    return conversation(state.viewing || "*server");
  }

  function show(key) {
    state.viewing = key;
    const c = conversation(key);
    c.unread = 0;
    $("log").replaceChildren(...c.lines);
    $("log").scrollTop = $("log").scrollHeight;
    $("topic").textContent = key.startsWith("#")
      ? key.slice(1) + (c.topic ? ": " + c.topic : "")
      : key.startsWith("@") ? "Private with " + key.slice(1) : "Server";
    $("part-button").textContent = key.startsWith("#") ? "Leave" : "Close";
    renderTabs();
    renderUsers();
  }

  function renderTabs() {
    const tabs = [];
    for (const c of state.conversations.values()) {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = "tab" + (c.key === state.viewing ? " active" : "");
      tab.textContent = c.key === "*server" ? "server" : c.key;
      if (c.unread > 0) {
        const count = document.createElement("span");
        count.className = "unread";
        count.textContent = String(c.unread);
        tab.append(" ", count);
      }
      tab.setAttribute("aria-pressed", c.key === state.viewing ? "true" : "false");
      tab.addEventListener("click", () => select(c.key));
      tabs.push(tab);
    }
    $("tabs").replaceChildren(...tabs);
  }

  // A conversation chosen by its tab or its shortcut. A channel is made
  // current on the server too, which answers with its member list.
  function select(key) {
    if (key.startsWith("#")) send({ type: "join", channel: key.slice(1) });
    show(key);
  }

  function closeConversation(key) {
    state.conversations.delete(key);
    if (state.viewing === key) {
      const next = state.current ? "#" + state.current : [...state.conversations.keys()][0];
      show(next || "*server");
    } else {
      renderTabs();
    }
  }

  // ---- lines ---------------------------------------------------------------

  function clock(seconds) {
    const when = seconds ? new Date(seconds * 1000) : new Date();
    return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function nickColour(nick) {
    let hash = 0;
    for (const ch of nick.toLowerCase()) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return "nick-c" + (hash % 12);
  }

  function nickElement(nick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "nick " + nickColour(nick);
    element.textContent = nick;
    element.addEventListener("click", (event) => openPersonMenu(nick, event.currentTarget));
    return element;
  }

  // `own`: the person's own line, which is never unread.
  function addLine(c, line, own) {
    c.lines.push(line);
    if (c.lines.length > MAX_LINES) {
      for (const old of c.lines.splice(0, c.lines.length - MAX_LINES)) c.ids.delete(old.dataset.id);
    }
    if (c.key === state.viewing) {
      const log = $("log");
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      log.append(line);
      while (log.childNodes.length > MAX_LINES) log.firstChild.remove();
      if (atBottom) log.scrollTop = log.scrollHeight;
    } else if (!own) {
      c.unread += 1;
      renderTabs();
    }
  }

  // `id`: the hub's message id (none for a memo); a line already shown is
  // dropped.
  function chatLine(c, from, text, action, at, kind, id) {
    if (id) {
      if (c.ids.has(id)) return;
      c.ids.add(id);
    }
    const line = document.createElement("li");
    if (id) line.dataset.id = id;
    line.className = "line " + (kind || "") + (action ? " action" : "");
    const time = document.createElement("time");
    time.textContent = clock(at);
    line.append(time, " ");
    if (action) line.append("* ");
    line.append(nickElement(from), action ? " " : ": ");
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    line.append(body);
    addLine(c, line, kind === "mine");
  }

  function systemLine(c, text, kind, at) {
    const line = document.createElement("li");
    line.className = "line system " + (kind || "");
    const time = document.createElement("time");
    time.textContent = clock(at);
    line.append(time, " ", text);
    addLine(c, line);
  }

  function systemLineEverywhere(text) {
    for (const c of state.conversations.values()) systemLine(c, text, "error");
  }

  // ---- channels and people -------------------------------------------------

  // Counts move with the joins and parts this page hears, without asking
  // the server: a page that asked by itself would keep its person from
  // ever being idle.
  function countMember(channel, by) {
    const entry = state.channelList.find((ch) => ch.name === channel);
    if (entry) {
      entry.users = Math.max(0, entry.users + by);
      renderChannels(state.channelList);
    }
  }

  function memberJoined(channel, nick) {
    countMember(channel, 1);
    if (channel !== state.usersChannel || state.users.some((u) => u.nick === nick)) return;
    state.users.push({ nick: nick, online: 0, seen: Date.now(), mark: "", away: null });
    renderUsers();
  }

  function memberLeft(channel, nick) {
    countMember(channel, -1);
    if (channel !== state.usersChannel) return;
    state.users = state.users.filter((u) => u.nick !== nick);
    renderUsers();
  }

  // "+o-v", ["ann", "bob"]: the marks in the member list follow.
  function markMembers(modes, params) {
    let adding = true;
    let next = 0;
    for (const letter of modes) {
      if (letter === "+" || letter === "-") {
        adding = letter === "+";
      } else if (letter === "o" || letter === "v") {
        const member = state.users.find((u) => u.nick === params[next]);
        if (member && adding) member.mark = letter === "o" ? "@" : member.mark || "+";
        if (member && !adding && member.mark === (letter === "o" ? "@" : "+")) member.mark = "";
        next += 1;
      } else if ("bIkl".includes(letter) && (adding || letter !== "l")) {
        next += 1;
      }
    }
    renderUsers();
  }

  function renderChannels(list) {
    state.channelList = list;
    const items = list.map((ch) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "channel";
      const name = document.createElement("strong");
      name.textContent = ch.name;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = ch.users === 1 ? "1 user" : ch.users + " users";
      const about = document.createElement("span");
      about.className = "about";
      about.textContent = ch.description;
      button.append(name, " ", count, about);
      button.addEventListener("click", () => send({ type: "join", channel: ch.name }));
      item.append(button);
      return item;
    });
    $("channels").replaceChildren(...items);
  }

  function duration(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    return h > 0 ? h + "h " + String(m).padStart(2, "0") + "m" : m + "m";
  }

  function renderUsers() {
    const showing = state.viewing && state.viewing === "#" + state.usersChannel;
    const items = (showing ? state.users : []).map((u) => {
      const item = document.createElement("li");
      if (u.mark) {
        const mark = document.createElement("span");
        mark.className = "mark";
        mark.title = u.mark === "@" ? "channel operator" : "may speak (voice)";
        mark.textContent = u.mark;
        item.append(mark);
      }
      item.append(nickElement(u.nick));
      const online = document.createElement("span");
      online.className = "online";
      online.textContent = " " + duration((Date.now() - u.seen) / 1000 + u.online);
      item.append(online);
      if (u.away) {
        const away = document.createElement("span");
        away.className = "away";
        away.textContent = " away: " + u.away;
        item.append(away);
      }
      return item;
    });
    $("users").replaceChildren(...items);
  }

  function askUsers() {
    send({ type: "users" });
  }

  // ---- the person menu -----------------------------------------------------

  let menuFor = null;
  let menuAnchor = null;

  // Kick and ban are for the channel's operators and server operators (as
  // the hub rules): nobody else is offered buttons that can only fail.
  function mayModerate() {
    if (state.serverOper) return true;
    if (!state.viewing || state.viewing !== "#" + state.usersChannel) return false;
    const me = state.users.find((u) => u.nick === state.nick);
    return !!me && me.mark === "@";
  }

  function openPersonMenu(nick, anchor) {
    menuFor = nick;
    menuAnchor = anchor;
    $("person-name").textContent = nick;
    const menu = $("person-menu");
    for (const button of menu.querySelectorAll("[data-moderate]")) button.hidden = !mayModerate();
    menu.hidden = false;
    const box = anchor.getBoundingClientRect();
    menu.style.top = Math.min(box.bottom + window.scrollY, window.innerHeight - 260) + "px";
    menu.style.left = Math.min(box.left, window.innerWidth - 220) + "px";
    menu.querySelector("button").focus();
  }

  // Back to the name it was opened on, so a keyboard user is where they were.
  function closePersonMenu() {
    if ($("person-menu").hidden) return;
    $("person-menu").hidden = true;
    menuFor = null;
    if (menuAnchor && menuAnchor.isConnected) menuAnchor.focus();
    menuAnchor = null;
  }

  function personAction(what) {
    const nick = menuFor;
    closePersonMenu();
    if (!nick) return;
    const channel = state.viewing && state.viewing.startsWith("#") ? state.viewing.slice(1) : null;
    switch (what) {
      case "private":
        show("@" + nick);
        $("say").focus();
        break;
      case "whois":
        send({ type: "whois", nick: nick });
        break;
      case "ignore":
        send({ type: "ignore", nick: nick });
        break;
      case "unignore":
        send({ type: "unignore", nick: nick });
        break;
      case "kick": {
        const reason = prompt("Kick " + nick + ": why? (may be empty)");
        if (reason !== null) send({ type: "kick", nick: nick, channel: channel, reason: reason });
        break;
      }
      case "ban":
        send({ type: "ban", mask: nick, channel: channel });
        break;
    }
  }

  // ---- what the server says ------------------------------------------------

  const handlers = {
    logged_in(m) {
      state.nick = m.nick;
      state.serverOper = false;
      // After a reconnect: back into the channels that were open, the one
      // on screen last, so that it is the current one again.
      const channels = [...state.conversations.keys()].filter((key) => key.startsWith("#"));
      channels.sort((a, b) => (a === state.viewing) - (b === state.viewing));
      state.rejoinLast = channels.length ? channels[channels.length - 1] : null;
      for (const key of channels) send({ type: "join", channel: key.slice(1) });
      $("login-screen").hidden = true;
      $("chat-screen").hidden = false;
      status("Logged in as " + m.nick + ".", "ok");
      conversation("*server");
      if (!state.viewing) show("*server");
      systemLine(conversation("*server"), "Welcome " + m.nick + ". Type /help for commands.");
      send({ type: "channels" });
      $("say").focus();
    },
    registered(m) {
      systemLine(view(), "Your nickname " + m.nick + " is registered: from now on it asks for your password.");
    },
    joined(m) {
      state.current = m.channel.name;
      const known = state.channelList.find((ch) => ch.name === m.channel.name);
      if (!known) state.channelList.push(m.channel); // made since the list came
      else if (!state.conversations.has("#" + m.channel.name)) known.users = m.channel.users;
      renderChannels(state.channelList);
      const c = conversation("#" + m.channel.name);
      c.topic = m.channel.description;
      if (!state.rejoinLast) {
        show(c.key);
      } else if (c.key === state.rejoinLast) {
        state.rejoinLast = null;
        show(state.viewing);
      }
      askUsers();
    },
    parted(m) {
      state.current = m.current ? m.current.name : null;
      countMember(m.channel.name, -1);
      closeConversation("#" + m.channel.name);
      if (m.current) show("#" + m.current.name);
      askUsers();
    },
    current(m) {
      state.current = m.channel ? m.channel.name : null;
      if (m.channel) show("#" + m.channel.name);
    },
    history(m) {
      const c = conversation("#" + m.channel);
      for (const line of m.lines) chatLine(c, line.from, line.text, line.action, line.at, "history", line.id);
    },
    public(m) {
      const kind = m.from === state.nick ? "mine" : "";
      chatLine(conversation("#" + m.channel), m.from, m.text, m.action, m.at, kind, m.id);
    },
    private(m) {
      chatLine(conversation("@" + m.from), m.from, m.text, m.action, m.at, "private", m.id);
    },
    // A notice or CTCP (from an IRC user or bot): shown where it was sent,
    // never kept. A CTCP request shows only what was asked (its arguments
    // are for a client program), as the text door does.
    aside(m) {
      const c = conversation(m.channel ? "#" + m.channel : "@" + m.from);
      const words = m.text.split(" ");
      const text = m.kind === "notice" ? "-" + m.from + "- " + m.text
        : m.kind === "ctcp" ? m.from + " sent a CTCP " + words[0] + " request"
          : "CTCP " + words[0] + " reply from " + m.from + ": " + words.slice(1).join(" ");
      systemLine(c, text, "notice aside", m.at);
    },
    private_sent(m) {
      const key = "@" + m.to;
      if (state.viewing !== key) systemLine(view(), "(private to " + m.to + ") " + m.text, "notice");
      chatLine(conversation(key), state.nick || "me", m.text, m.action, m.at, "mine", m.id);
    },
    member_joined(m) {
      systemLine(conversation("#" + m.channel), m.nick + " has entered " + m.channel, "notice");
      memberJoined(m.channel, m.nick);
    },
    member_left(m) {
      const how = m.how === "part" ? "has left" : m.how === "quit" ? "has quit" : "was disconnected";
      const why = m.message ? " (" + m.message + ")" : "";
      systemLine(conversation("#" + m.channel), m.nick + " " + how + why, "notice");
      memberLeft(m.channel, m.nick);
    },
    // Someone in one of your channels is away now, or back (null): the
    // member list shows it.
    member_away(m) {
      for (const u of state.users) if (u.nick === m.nick) u.away = m.message;
      renderUsers();
    },
    nick(m) {
      if (m.old === state.nick) state.nick = m.new;
      systemLine(view(), m.old + " is now known as " + m.new, "notice");
      for (const u of state.users) if (u.nick === m.old) u.nick = m.new;
      renderUsers();
    },
    users(m) {
      state.usersChannel = m.channel;
      state.users = m.users.map((u) => Object.assign({ seen: Date.now() }, u));
      renderUsers();
    },
    channels(m) {
      renderChannels(m.channels);
    },
    channel_created(m) {
      systemLine(view(), "Channel " + m.channel + " created; you are its founder.", "notice");
    },
    channel_dropped(m) {
      systemLine(conversation("#" + m.channel), m.by + " removed the channel " + m.channel + ".", "notice");
      renderChannels(state.channelList.filter((ch) => ch.name !== m.channel));
    },
    // The member list comes with `users`, asked for on each join.
    names() {},
    topic_who() {},
    topic(m) {
      const c = conversation("#" + m.channel);
      c.topic = m.topic;
      if (state.viewing === c.key) show(c.key);
    },
    topic_set(m) {
      const c = conversation("#" + m.channel);
      c.topic = m.text;
      systemLine(c, m.by + " set the topic: " + m.text, "notice");
      if (state.viewing === c.key) show(c.key);
    },
    kicked(m) {
      const why = m.reason ? " (" + m.reason + ")" : "";
      systemLine(conversation("#" + m.channel), m.nick + " was kicked by " + m.by + why, "notice");
      if (m.nick === state.nick) closeConversation("#" + m.channel);
      else memberLeft(m.channel, m.nick);
    },
    whois(m) {
      const u = m.user;
      let text = u.nick + ": on line " + duration(u.online) + ", idle " + duration(u.idle) +
        ", channels: " + (u.channels.join(", ") || "none");
      if (u.away) text += ", away: " + u.away;
      systemLine(view(), text);
    },
    whois_address(m) {
      systemLine(view(), m.nick + " connects from " + m.address);
    },
    whois_offline(m) {
      systemLine(view(), m.nick + " is registered but not on line" +
        (m.last_seen ? "; last seen " + new Date(m.last_seen * 1000).toLocaleString() : ""));
    },
    who(m) {
      systemLine(view(), "On line: " + m.users.map((u) => u.nick).join(", "));
    },
    away(m) {
      systemLine(view(), m.message ? "You are marked away: " + m.message : "You are back.");
    },
    away_reply(m) {
      systemLine(conversation("@" + m.nick), m.nick + " is away: " + m.message, "notice");
    },
    ignoring(m) {
      systemLine(view(), "Ignoring " + m.nick + ".");
    },
    unignored(m) {
      systemLine(view(), "No longer ignoring " + m.nick + ".");
    },
    ignore_list(m) {
      systemLine(view(), m.nicks.length ? "Ignoring: " + m.nicks.join(", ") : "You ignore nobody.");
    },
    help(m) {
      for (const [command, what] of m.commands) systemLine(view(), command + "  " + what);
    },
    notice(m) {
      systemLine(view(), m.text, "notice");
    },
    wallops(m) {
      systemLine(view(), "! " + m.from + ": " + m.text, "notice");
    },
    memos(m) {
      for (const memo of m.memos) chatLine(conversation("@" + memo.from), memo.from, memo.text, false, memo.at, "private");
    },
    idle_warning(m) {
      systemLine(view(), "You will be logged out for idleness in " + m.seconds + " s unless you say something.", "error");
    },
    oper() {
      state.serverOper = true;
      systemLine(view(), "You are a server operator now.");
    },
    mode(m) {
      systemLine(conversation("#" + m.channel), m.by + " sets mode " + m.modes + " " + m.params.join(" "), "notice");
      if (m.channel === state.usersChannel) markMembers(m.modes, m.params);
    },
    error(m) {
      if (!state.nick) {
        // A login refused, also the one after a reconnect (someone took
        // the guest nickname meanwhile): back to the form, to log in by hand.
        state.credentials = null;
        $("chat-screen").hidden = true;
        $("login-screen").hidden = false;
        $("login-error").textContent = m.text;
        return;
      }
      // A channel that is gone since the restart ends the rejoining too.
      state.rejoinLast = null;
      systemLine(view(), m.text, "error");
    },
    closing(m) {
      status("Closed by the server: " + m.reason, "down");
      if (/idle|banned|Killed|logged in again/i.test(m.reason)) state.credentials = null;
    },
  };

  function handle(message) {
    const handler = handlers[message.type];
    if (handler) {
      handler(message);
    } else if (state.nick) {
      // Anything else is shown plainly, so nothing the server says is lost.
      const copy = Object.assign({}, message);
      delete copy.type;
      systemLine(view(), message.type + ": " + JSON.stringify(copy));
    }
  }

  // ---- what the person does ------------------------------------------------

  function logIn(register) {
    const nick = $("nick").value.trim();
    const password = $("password").value;
    $("login-error").textContent = "";
    if (!nick) {
      $("login-error").textContent = "Type a nickname first.";
      return;
    }
    if (register && !password) {
      $("login-error").textContent = "Choose a password to register with.";
      return;
    }
    state.credentials = password ? { nick: nick, password: password } : { nick: nick };
    send(register ? { type: "register", nick: nick, password: password } : Object.assign({ type: "login" }, state.credentials));
    $("password").value = "";
  }

  function say(text) {
    const key = state.viewing || "";
    const action = text.match(/^\/me\s+(.*)$/i);
    if (key.startsWith("@") && (action || !text.startsWith("/"))) {
      return send({ type: "private", to: key.slice(1), text: action ? action[1] : text, action: !!action });
    }
    if (key.startsWith("#") && (action || !text.startsWith("/"))) {
      return send({ type: "say", channel: key.slice(1), text: action ? action[1] : text, action: !!action });
    }
    return send({ type: "line", text: text });
  }

  function setUp() {
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      logIn(false);
    });
    $("register").addEventListener("click", () => logIn(true));
    $("say-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("say").value;
      if (!text.trim()) return;
      if (say(text)) $("say").value = "";
    });
    $("action-button").addEventListener("click", () => {
      const text = $("say").value.trim();
      if (text && say("/me " + text)) $("say").value = "";
      $("say").focus();
    });
    $("part-button").addEventListener("click", () => {
      const key = state.viewing || "";
      if (key.startsWith("#")) send({ type: "part", channel: key.slice(1) });
      else if (key.startsWith("@")) closeConversation(key);
    });
    $("reconnect-now").addEventListener("click", () => {
      state.backoff = 1;
      connect();
    });
    $("refresh-channels").addEventListener("click", () => send({ type: "channels" }));
    for (const button of $("person-menu").querySelectorAll("button")) {
      button.addEventListener("click", () => personAction(button.dataset.do));
    }
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closePersonMenu();
      // Alt+1…9: the conversations in their order.
      if (event.altKey && event.key >= "1" && event.key <= "9") {
        const key = [...state.conversations.keys()][Number(event.key) - 1];
        if (key) {
          event.preventDefault();
          select(key);
        }
      }
    });
    // Times on line move on without asking the server (asking would reset
    // the person's idle time).
    setInterval(renderUsers, 30000);
    connect();
  }

  setUp();
})();

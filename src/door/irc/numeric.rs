//! The IRC numerics chatd sends, by their names in RFC 2812 and Modern IRC
//! (<https://modern.ircdocs.horse/#numerics>), so the code says which reply
//! it means instead of a bare three-digit string. IRCv3 names for MONITOR
//! (730–734) and SASL (900–908).

// Connection registration: the welcome burst.
pub const RPL_WELCOME: &str = "001";
pub const RPL_YOURHOST: &str = "002";
pub const RPL_CREATED: &str = "003";
pub const RPL_MYINFO: &str = "004";
pub const RPL_ISUPPORT: &str = "005";

// User modes.
pub const RPL_UMODEIS: &str = "221";

// LUSERS.
pub const RPL_LUSERCLIENT: &str = "251";
pub const RPL_LUSERCHANNELS: &str = "254";
pub const RPL_LUSERME: &str = "255";
pub const RPL_LOCALUSERS: &str = "265";
pub const RPL_GLOBALUSERS: &str = "266";

// Away, USERHOST, ISON.
pub const RPL_AWAY: &str = "301";
pub const RPL_USERHOST: &str = "302";
pub const RPL_ISON: &str = "303";
pub const RPL_UNAWAY: &str = "305";
pub const RPL_NOWAWAY: &str = "306";

// WHOIS, WHOWAS, WHO.
pub const RPL_WHOISUSER: &str = "311";
pub const RPL_WHOISSERVER: &str = "312";
pub const RPL_WHOWASUSER: &str = "314";
pub const RPL_ENDOFWHO: &str = "315";
pub const RPL_WHOISIDLE: &str = "317";
pub const RPL_ENDOFWHOIS: &str = "318";
pub const RPL_WHOISCHANNELS: &str = "319";
pub const RPL_WHOISACTUALLY: &str = "338";
pub const RPL_WHOREPLY: &str = "352";
pub const RPL_ENDOFWHOWAS: &str = "369";

// LIST.
pub const RPL_LISTSTART: &str = "321";
pub const RPL_LIST: &str = "322";
pub const RPL_LISTEND: &str = "323";

// Channels: modes, topics, invitations, names, ban and invite lists.
pub const RPL_CHANNELMODEIS: &str = "324";
pub const RPL_NOTOPIC: &str = "331";
pub const RPL_TOPIC: &str = "332";
pub const RPL_TOPICWHOTIME: &str = "333";
pub const RPL_INVITING: &str = "341";
pub const RPL_INVITELIST: &str = "346";
pub const RPL_ENDOFINVITELIST: &str = "347";
pub const RPL_NAMREPLY: &str = "353";
pub const RPL_ENDOFNAMES: &str = "366";
pub const RPL_BANLIST: &str = "367";
pub const RPL_ENDOFBANLIST: &str = "368";

// VERSION, INFO, MOTD, OPER, TIME.
pub const RPL_VERSION: &str = "351";
pub const RPL_INFO: &str = "371";
pub const RPL_ENDOFINFO: &str = "374";
pub const RPL_MOTD: &str = "372";
pub const RPL_MOTDSTART: &str = "375";
pub const RPL_ENDOFMOTD: &str = "376";
pub const RPL_YOUREOPER: &str = "381";
pub const RPL_TIME: &str = "391";

// Errors.
pub const ERR_NOSUCHNICK: &str = "401";
pub const ERR_NOSUCHCHANNEL: &str = "403";
pub const ERR_CANNOTSENDTOCHAN: &str = "404";
pub const ERR_WASNOSUCHNICK: &str = "406";
pub const ERR_INVALIDCAPCMD: &str = "410";
pub const ERR_NORECIPIENT: &str = "411";
pub const ERR_NOTEXTTOSEND: &str = "412";
pub const ERR_INPUTTOOLONG: &str = "417";
pub const ERR_UNKNOWNCOMMAND: &str = "421";
pub const ERR_NOMOTD: &str = "422";
pub const ERR_NONICKNAMEGIVEN: &str = "431";
pub const ERR_ERRONEUSNICKNAME: &str = "432";
pub const ERR_NICKNAMEINUSE: &str = "433";
pub const ERR_USERNOTINCHANNEL: &str = "441";
pub const ERR_NOTONCHANNEL: &str = "442";
pub const ERR_USERONCHANNEL: &str = "443";
pub const ERR_NOTREGISTERED: &str = "451";
pub const ERR_NEEDMOREPARAMS: &str = "461";
pub const ERR_ALREADYREGISTERED: &str = "462";
pub const ERR_PASSWDMISMATCH: &str = "464";
pub const ERR_CHANNELISFULL: &str = "471";
pub const ERR_UNKNOWNMODE: &str = "472";
pub const ERR_INVITEONLYCHAN: &str = "473";
pub const ERR_BANNEDFROMCHAN: &str = "474";
pub const ERR_BADCHANNELKEY: &str = "475";
/// Not in RFC 2812; the name and number ircu, Hybrid and UnrealIRCd use.
pub const ERR_BADCHANNAME: &str = "479";
pub const ERR_NOPRIVILEGES: &str = "481";
pub const ERR_CHANOPRIVSNEEDED: &str = "482";
pub const ERR_NOOPERHOST: &str = "491";
pub const ERR_UMODEUNKNOWNFLAG: &str = "501";
pub const ERR_USERSDONTMATCH: &str = "502";
/// Not in RFC 2812: SILENCE's own, as Hybrid and UnrealIRCd number it.
pub const ERR_SILELISTFULL: &str = "511";

// IRCv3 MONITOR.
pub const RPL_MONONLINE: &str = "730";
pub const RPL_MONOFFLINE: &str = "731";
pub const RPL_MONLIST: &str = "732";
pub const RPL_ENDOFMONLIST: &str = "733";
pub const ERR_MONLISTFULL: &str = "734";

// IRCv3 SASL.
pub const RPL_LOGGEDIN: &str = "900";
pub const RPL_SASLSUCCESS: &str = "903";
pub const ERR_SASLFAIL: &str = "904";
pub const ERR_SASLABORTED: &str = "906";
pub const ERR_SASLALREADY: &str = "907";
pub const RPL_SASLMECHS: &str = "908";

// HELP (Modern IRC; Ergo, InspIRCd and Solanum number it so).
pub const ERR_HELPNOTFOUND: &str = "524";
pub const RPL_HELPSTART: &str = "704";
pub const RPL_HELPTXT: &str = "705";
pub const RPL_ENDOFHELP: &str = "706";

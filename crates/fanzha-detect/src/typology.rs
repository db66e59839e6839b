//! The official fraud typology: the ids every other part of fanzha (API, database, UI, model)
//! uses, with names, how each scam works and what to tell the person targeted.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One class of the typology. `Normal` is "not fraud".
///
/// ```
/// use fanzha_detect::FraudType;
/// let t: FraudType = "rebate_task".parse().unwrap();
/// assert_eq!(t.name_zh(), "刷单返利");
/// assert_eq!(t.id(), "rebate_task");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FraudType {
    Normal,
    RebateTask,
    FakeInvestment,
    FakeLoan,
    FakeCreditRepair,
    ImpersonateCustomerService,
    ImpersonatePolice,
    ImpersonateLeaderAcquaintance,
    GameTrade,
    Romance,
    FakeShopping,
    OtherFraud,
    /// Recruiting people to lend or sell bank cards, phone cards and accounts (帮信/两卡).
    /// Not a scam on the reader but an invitation to take part in one, which is a crime.
    MuleRecruitment,
}

/// Error returned when a string is not a fraud type id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fraud type `{0}` (expected one of: {ids})", ids = FraudType::ids_joined())]
pub struct UnknownFraudType(pub String);

impl FraudType {
    /// All types, in the order of the class index used by the model.
    pub const ALL: [FraudType; 13] = [
        FraudType::Normal,
        FraudType::RebateTask,
        FraudType::FakeInvestment,
        FraudType::FakeLoan,
        FraudType::FakeCreditRepair,
        FraudType::ImpersonateCustomerService,
        FraudType::ImpersonatePolice,
        FraudType::ImpersonateLeaderAcquaintance,
        FraudType::GameTrade,
        FraudType::Romance,
        FraudType::FakeShopping,
        FraudType::OtherFraud,
        FraudType::MuleRecruitment,
    ];

    /// Number of classes.
    pub const COUNT: usize = 13;

    /// Stable class index (position in [`FraudType::ALL`]).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Inverse of [`FraudType::index`].
    pub fn from_index(i: usize) -> Option<FraudType> {
        Self::ALL.get(i).copied()
    }

    /// Whether this is a fraud class (everything but `normal`).
    pub fn is_fraud(self) -> bool {
        self != FraudType::Normal
    }

    /// The id used in the API, database, rule files and the model.
    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        self.info().zh
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        self.info().en
    }

    /// One paragraph on how the scam works (English; the UI translates via its message files).
    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// One paragraph of advice for the person targeted.
    pub fn advice(self) -> &'static str {
        self.info().advice
    }

    /// Full record for this type.
    pub fn info(self) -> &'static TypeInfo {
        &TYPES[self.index()]
    }

    fn ids_joined() -> String {
        Self::ALL
            .iter()
            .map(|t| t.id())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for FraudType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for FraudType {
    type Err = UnknownFraudType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.id() == s)
            .ok_or_else(|| UnknownFraudType(s.to_string()))
    }
}

/// Names, description and advice of one fraud type.
#[derive(Debug, Serialize)]
pub struct TypeInfo {
    pub id: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub description: &'static str,
    pub advice: &'static str,
}

static TYPES: [TypeInfo; 13] = [
    TypeInfo {
        id: "normal",
        zh: "正常",
        en: "Not fraud",
        description: "An ordinary message: a notice, a promotion from a known sender, a chat between people who know each other.",
        advice: "No sign of fraud was found. Still, never give a verification code or transfer money to someone you cannot verify in person or through an official number.",
    },
    TypeInfo {
        id: "rebate_task",
        zh: "刷单返利",
        en: "Order brushing / task rebate",
        description: "The victim is recruited, often through a part-time-job ad or a group chat, to 'like', follow or buy goods for a commission. Small first tasks really pay out to build trust; then 'combined orders' require larger advances, and the commission is withheld until the victim pays again and again, until they can pay no more.",
        advice: "Any job that asks you to pay first, top up, or advance money for orders is fraud. Order brushing is itself illegal. Stop, do not pay 'to unlock' your balance, and report with the chat records and the account you paid.",
    },
    TypeInfo {
        id: "fake_investment",
        zh: "虚假网络投资理财",
        en: "Fake online investment",
        description: "A 'mentor' or 'analyst' met in a stock, crypto or dating group promises insider tips or guaranteed high returns and has the victim install an unknown trading app or website. Early small withdrawals succeed; after larger deposits the platform freezes the account, demands 'taxes' or 'margin', and then disappears.",
        advice: "Guaranteed high returns and 'insider' tips are the mark of fraud. Invest only through licensed brokers in official app stores; never move money to a platform recommended by a stranger in a chat group.",
    },
    TypeInfo {
        id: "fake_loan",
        zh: "虚假网络贷款",
        en: "Fake online loan",
        description: "The victim is offered a loan with no collateral, no credit check and low interest. After applying in a fake app, they are told their bank card number was wrong or their credit is insufficient, and must pay an 'unfreezing fee', 'deposit' or 'proof of repayment ability' before the money is released. It never is.",
        advice: "Legitimate lenders never charge a fee before the loan is paid out. Borrow only from licensed banks and platforms; any request to pay first, or to prove solvency by transferring money, is fraud.",
    },
    TypeInfo {
        id: "fake_credit_repair",
        zh: "虚假征信",
        en: "Fake credit-record repair",
        description: "Posing as staff of a lender, the central bank's credit reference centre or a 'credit repair' agency, the fraudster says the victim's student loan or old online account will damage their credit record unless it is cancelled or repaired, and has them borrow from several apps and transfer the money to a 'safe account' to 'clear' it.",
        advice: "Credit records cannot be 'repaired', deleted or cleared by anyone for a fee, and no account needs to be 'cancelled' by transferring money. Check your record only through the People's Bank of China credit reference centre.",
    },
    TypeInfo {
        id: "impersonate_customer_service",
        zh: "冒充电商物流客服",
        en: "Fake e-commerce / courier customer service",
        description: "Someone claiming to be customer service of a shop, platform or courier says a parcel was lost, an order failed or a membership will auto-renew, and offers a refund or compensation. They lead the victim to a fake page, a screen-sharing app or a 'refund' loan, and take card details, verification codes or transfers.",
        advice: "Real refunds go back automatically through the original order; they never need your card password, a verification code, screen sharing or a transfer. Hang up and check the order in the official app.",
    },
    TypeInfo {
        id: "impersonate_police",
        zh: "冒充公检法及政府机关",
        en: "Impersonating police, prosecutors, courts or government",
        description: "A caller claims to be police, a prosecutor, a court or a government office and says the victim is involved in money laundering, a parcel with contraband, or an insurance problem. They show a fake warrant, demand secrecy, and order the victim to move money into a 'safe account' for 'asset verification'.",
        advice: "Police, prosecutors and courts never handle cases over the phone or video chat, never send warrants online, and there is no 'safe account'. Hang up and call 110 yourself.",
    },
    TypeInfo {
        id: "impersonate_leader_acquaintance",
        zh: "冒充领导熟人",
        en: "Impersonating a leader or acquaintance",
        description: "A new account using the photo and name of a teacher, leader, relative or friend adds the victim and, after a little chat, asks for an urgent transfer to a third party, for a gift, a fee or an emergency (an accident, an arrest), saying they cannot talk on the phone right now.",
        advice: "Always confirm a money request by calling the person on the number you already know, or in person. Never transfer to an account just because a chat account looks like someone you know.",
    },
    TypeInfo {
        id: "game_trade",
        zh: "网络游戏产品虚假交易",
        en: "Fake online-game trading",
        description: "Selling or buying game accounts, skins, coins or equipment at tempting prices, the fraudster moves the deal off the platform to a fake trading site, then asks for 'deposit', 'unfreezing' or 'verification' fees, or promises free skins and recharge rebates in exchange for payment.",
        advice: "Trade game items only on the game's official platform. Anyone moving you to another site or asking for a deposit to release your money is a fraudster.",
    },
    TypeInfo {
        id: "romance",
        zh: "网络婚恋交友",
        en: "Online romance scam",
        description: "A charming profile met on a dating app or social media builds an online relationship over weeks, never meets in person, then steers the victim to an 'investment' or gambling site, or asks for money for an emergency, a ticket or a gift.",
        advice: "Someone you have only met online who talks of money, investments or emergencies is very likely a fraudster. Never send money or invest on their advice.",
    },
    TypeInfo {
        id: "fake_shopping",
        zh: "虚假购物服务",
        en: "Fake shopping or services",
        description: "Cheap goods, concert tickets, certificates, or services advertised on social media are sold through a private chat or a link outside any platform; after payment the seller asks for more (shipping, customs, deposit) or vanishes.",
        advice: "Buy only on platforms with buyer protection and never pay by direct transfer or QR code to a private seller. Prices far below market are bait.",
    },
    TypeInfo {
        id: "other_fraud",
        zh: "其他诈骗",
        en: "Other fraud",
        description: "Other fraud schemes: fake prizes and lotteries, fake subsidies or refunds, phishing for account passwords, fake charity, and new schemes that fit none of the types above.",
        advice: "Do not click unknown links, do not give codes or passwords, and do not pay any fee to receive a prize or subsidy. When in doubt, call 96110.",
    },
    TypeInfo {
        id: "mule_recruitment",
        zh: "帮信/两卡招揽",
        en: "Money-mule recruitment (renting out cards and accounts)",
        description: "An offer to buy, rent or 'borrow' your bank card, phone card, WeChat, QQ or Alipay account, payment code, U-shield or face verification, or to 'run points' (跑分), 'brush turnover' (刷流水) or receive and pass on a transfer for a fee. Fraud groups need such accounts to receive and move their victims' money; the person who lends them becomes part of the crime.",
        advice: "Refuse. Lending, renting or selling a bank card, phone card or payment account, or moving money through it for someone else, is the crime of helping information network criminal activities (帮信罪, Criminal Law art. 287-2): up to three years in prison and a fine, and the accounts in your name are frozen and your credit is marked for years. If you have already lent an account, stop now, change the passwords, tell your counselor or the police (110 / 96110): coming forward early counts in your favour.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for t in FraudType::ALL {
            assert_eq!(t.id().parse::<FraudType>(), Ok(t));
            assert_eq!(FraudType::from_index(t.index()), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.id()));
        }
        assert!("nope".parse::<FraudType>().is_err());
    }
}

//! Money mules (断卡 / 帮信): bank signals become mule-risk warnings handled by the counselor,
//! suspects in cases are counted apart, and provinces set how suspects count for the award.

mod browser;
mod cases;
mod demo;
mod prevention;
mod signals;
mod starter;
mod talk;

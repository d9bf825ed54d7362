// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IToken {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// A vault of one ERC-20 for the rebalancing example: anyone may deposit, its owner may
/// withdraw. Never deploy it for value.
contract SimpleVault {
    IToken public immutable asset;
    address public immutable owner;

    event Deposited(address indexed from, uint256 amount);
    event Withdrawn(address indexed to, uint256 amount);

    error NotOwner(address caller);

    constructor(IToken asset_) {
        asset = asset_;
        owner = msg.sender;
    }

    function totalAssets() external view returns (uint256) {
        return asset.balanceOf(address(this));
    }

    function deposit(uint256 amount) external {
        require(asset.transferFrom(msg.sender, address(this), amount), "transfer failed");
        emit Deposited(msg.sender, amount);
    }

    function withdraw(uint256 amount, address to) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        require(asset.transfer(to, amount), "transfer failed");
        emit Withdrawn(to, amount);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// A minimal ERC-721 for tests and demos, with a batch mint: anyone may mint. Never deploy
/// it for value.
contract TestNFT {
    string public name;
    string public symbol;
    uint256 public totalSupply;
    mapping(uint256 => address) public ownerOf;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);

    error TooMany(uint256 count, uint256 limit);

    constructor(string memory name_, string memory symbol_) {
        name = name_;
        symbol = symbol_;
    }

    /// Mints `count` tokens to `to`, with the next ids; returns the first id.
    function mintBatch(address to, uint256 count) external returns (uint256 first) {
        if (count == 0 || count > 500) revert TooMany(count, 500);
        first = totalSupply + 1;
        for (uint256 id = first; id < first + count; id++) {
            ownerOf[id] = to;
            emit Transfer(address(0), to, id);
        }
        balanceOf[to] += count;
        totalSupply += count;
    }

    function transferFrom(address from, address to, uint256 tokenId) external {
        require(ownerOf[tokenId] == from && from == msg.sender, "not the owner");
        ownerOf[tokenId] = to;
        balanceOf[from] -= 1;
        balanceOf[to] += 1;
        emit Transfer(from, to, tokenId);
    }
}

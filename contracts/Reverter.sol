// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Reverts in every way a caller must decode: a reason, a custom error, a panic.
contract Reverter {
    error Unauthorized(address caller, uint256 code);

    function withReason() external pure {
        revert("vault is locked");
    }

    function withCustomError() external view {
        revert Unauthorized(msg.sender, 42);
    }

    function withPanic(uint256 a) external pure returns (uint256) {
        return 10 / a; // a = 0: Panic(0x12)
    }

    function ok() external pure returns (uint256) {
        return 7;
    }
}

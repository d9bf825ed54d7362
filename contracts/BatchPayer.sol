// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// Pays many recipients in one transaction: native coin, or an ERC-20 the payer approved
/// this contract to move. It holds nothing between calls.
contract BatchPayer {
    event Paid(address indexed payer, address indexed token, uint256 count, uint256 total);

    error LengthMismatch(uint256 recipients, uint256 amounts);
    error WrongValue(uint256 sent, uint256 total);
    error PaymentFailed(uint256 index, address to);

    function payNative(address[] calldata to, uint256[] calldata amounts) external payable {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        uint256 total;
        for (uint256 i = 0; i < to.length; i++) {
            total += amounts[i];
            (bool ok,) = payable(to[i]).call{value: amounts[i]}("");
            if (!ok) revert PaymentFailed(i, to[i]);
        }
        if (total != msg.value) revert WrongValue(msg.value, total);
        emit Paid(msg.sender, address(0), to.length, total);
    }

    function payToken(IERC20Like token, address[] calldata to, uint256[] calldata amounts) external {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        uint256 total;
        for (uint256 i = 0; i < to.length; i++) {
            total += amounts[i];
            if (!token.transferFrom(msg.sender, to[i], amounts[i])) revert PaymentFailed(i, to[i]);
        }
        emit Paid(msg.sender, address(token), to.length, total);
    }
}

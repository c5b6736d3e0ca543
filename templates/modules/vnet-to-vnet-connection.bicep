metadata name = 'VNet-to-VNet connection'
metadata description = 'The two Vnet2Vnet connections, one per direction, between the hub VPN gateway and a branch VPN gateway, with BGP and one shared key.'

import { virtualNetworkType } from 'virtual-network.bicep'
import { vpnGatewayType } from 'vpn-gateway.bicep'

@export()
@description('A branch that is an Azure VNet with its own VPN gateway, joined to the hub by VNet-to-VNet with BGP.')
type vnetBranchType = {
  @description('Required. Branch name; keys vpnSharedKeys.')
  name: string

  @description('Required. The branch virtual network.')
  virtualNetwork: virtualNetworkType

  @description('Required. The branch VPN gateway.')
  vpnGateway: vpnGatewayType

  @description('Required. Name of the hub -> branch connection.')
  hubToBranchConnectionName: string

  @description('Required. Name of the branch -> hub connection.')
  branchToHubConnectionName: string

  @description('Optional. Azure region of the branch VNet and gateway, when not the hub\'s.')
  location: string?
}

@description('Required. Name of the hub -> branch connection.')
param hubToBranchName string

@description('Required. Name of the branch -> hub connection.')
param branchToHubName string

@description('Required. Azure region of the hub -> branch connection (the hub\'s).')
param location string

@description('Optional. Azure region of the branch -> hub connection (the branch\'s); default: location.')
param branchLocation string = location

@description('Optional. Tags put on the connections.')
param tags object = {}

@description('Required. Resource ID of the hub VPN gateway.')
param hubGatewayResourceId string

@description('Required. Resource ID of the branch VPN gateway.')
param branchGatewayResourceId string

@description('Required. IPsec shared key, the same on both connections.')
@secure()
param sharedKey string

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var keptHubToBranch = asDeployed[?resourceId('Microsoft.Network/connections', hubToBranchName)] ?? asDeployed[?'Microsoft.Network/connections/${hubToBranchName}'] ?? {}
var keptBranchToHub = asDeployed[?resourceId('Microsoft.Network/connections', branchToHubName)] ?? asDeployed[?'Microsoft.Network/connections/${branchToHubName}'] ?? {}

resource hubToBranch 'Microsoft.Network/connections@2025-05-01' = {
  name: hubToBranchName
  location: location
  tags: keptHubToBranch.?tags ?? tags
  properties: union(
    {
      connectionType: 'Vnet2Vnet'
      virtualNetworkGateway1: {
        id: hubGatewayResourceId
        properties: {}
      }
      virtualNetworkGateway2: {
        id: branchGatewayResourceId
        properties: {}
      }
      enableBgp: true
      sharedKey: sharedKey
    },
    keptHubToBranch.?properties ?? {}
  )
}

resource branchToHub 'Microsoft.Network/connections@2025-05-01' = {
  name: branchToHubName
  location: branchLocation
  tags: keptBranchToHub.?tags ?? tags
  properties: union(
    {
      connectionType: 'Vnet2Vnet'
      virtualNetworkGateway1: {
        id: branchGatewayResourceId
        properties: {}
      }
      virtualNetworkGateway2: {
        id: hubGatewayResourceId
        properties: {}
      }
      enableBgp: true
      sharedKey: sharedKey
    },
    keptBranchToHub.?properties ?? {}
  )
  // Both connections write both gateways: one after the other (AnotherOperationInProgress otherwise).
  dependsOn: [
    hubToBranch
  ]
}

@description('Resource IDs of the two connections (hub -> branch, branch -> hub).')
output resourceIds string[] = [hubToBranch.id, branchToHub.id]

@description('Names of the two connections (hub -> branch, branch -> hub).')
output names string[] = [hubToBranch.name, branchToHub.name]

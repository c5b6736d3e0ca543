metadata name = 'ExpressRoute connection'
metadata description = 'Connects the hub ExpressRoute gateway to an existing ExpressRoute circuit.'

@export()
@description('A connection from the hub ExpressRoute gateway to an on-premises site\'s existing circuit.')
type expressRouteConnectionType = {
  @description('Required. On-premises site the connection serves; keys expressRouteAuthorizationKeys.')
  siteName: string

  @description('Required. Name of the connection.')
  name: string

  @description('Required. Resource ID of the existing ExpressRoute circuit.')
  circuitResourceId: string

  @description('Required. Routing weight of the connection.')
  routingWeight: int

  @description('Required. ExpressRoute FastPath: traffic bypasses the gateway, and with it the GatewaySubnet UDRs.')
  fastPath: bool
}

@description('Required. Name of the connection.')
param name string

@description('Required. Azure region of the connection.')
param location string

@description('Optional. Tags put on the connection.')
param tags object = {}

@description('Required. Resource ID of the ExpressRoute gateway.')
param expressRouteGatewayResourceId string

@description('Required. Resource ID of the existing ExpressRoute circuit.')
param circuitResourceId string

@description('Required. Routing weight: the higher one wins between circuits advertising the same prefix.')
param routingWeight int

@description('Optional. ExpressRoute FastPath: traffic bypasses the gateway and the GatewaySubnet UDRs, so it is off whenever transit is inspected.')
param fastPath bool = false

@description('Optional. Authorization key of the circuit; empty when the circuit is in the same subscription.')
@secure()
param authorizationKey string = ''

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var kept = asDeployed[?resourceId('Microsoft.Network/connections', name)] ?? asDeployed[?'Microsoft.Network/connections/${name}'] ?? {}

resource connection 'Microsoft.Network/connections@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  properties: union(
    {
      connectionType: 'ExpressRoute'
      virtualNetworkGateway1: {
        id: expressRouteGatewayResourceId
        properties: {}
      }
      peer: {
        id: circuitResourceId
      }
      routingWeight: routingWeight
      // Written even when false: FastPath would bypass the GatewaySubnet UDRs that send transit through the firewall.
      expressRouteGatewayBypass: fastPath
      authorizationKey: empty(authorizationKey) ? null : authorizationKey
    },
    kept.?properties ?? {}
  )
}

@description('Resource ID of the connection.')
output resourceId string = connection.id

@description('Name of the connection.')
output name string = connection.name

metadata name = 'Route Server'
metadata description = 'Azure Route Server (a virtualHubs resource, sku Standard) in RouteServerSubnet with its Standard public IP; branch-to-branch makes the ExpressRoute and VPN gateways exchange routes.'

@export()
@description('The Route Server of the hub.')
type routeServerType = {
  @description('Required. Name of the Route Server.')
  name: string

  @description('Required. Name of its public IP.')
  publicIpName: string

  @description('Required. Availability zones of its public IP.')
  publicIpZones: string[]

  @description('Required. Name of its IP configuration.')
  ipConfigurationName: string

  @description('Required. Let the ExpressRoute and VPN gateways exchange routes.')
  allowBranchToBranchTraffic: bool

  @description('Required. Preferred path when ExpressRoute and VPN advertise the same prefix.')
  hubRoutingPreference: 'ExpressRoute' | 'VpnGateway' | 'ASPath'
}

@description('Required. Name of the Route Server.')
param name string

@description('Required. Azure region of the Route Server and its public IP.')
param location string

@description('Optional. Tags put on the Route Server and its public IP.')
param tags object = {}

@description('Required. Name of the public IP.')
param publicIpName string

@description('Optional. Name of the IP configuration (one per Route Server).')
param ipConfigurationName string = 'ipconfig1'

@description('Required. Resource ID of RouteServerSubnet.')
param routeServerSubnetResourceId string

@description('Optional. Availability zones of the public IP.')
param publicIpZones string[] = []

@description('Required. Let the ExpressRoute and VPN gateways exchange routes through the Route Server.')
param allowBranchToBranchTraffic bool

@description('Required. Preferred path when ExpressRoute and VPN advertise the same prefix.')
param hubRoutingPreference 'ExpressRoute' | 'VpnGateway' | 'ASPath'

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var kept = asDeployed[?resourceId('Microsoft.Network/virtualHubs', name)] ?? asDeployed[?'Microsoft.Network/virtualHubs/${name}'] ?? {}

module publicIp 'public-ip.bicep' = {
  name: 'pip-${uniqueString(deployment().name, publicIpName)}'
  params: {
    name: publicIpName
    location: location
    tags: tags
    zones: publicIpZones
    asDeployed: asDeployed
  }
}

resource routeServer 'Microsoft.Network/virtualHubs@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  properties: union(
    {
      sku: 'Standard'
      allowBranchToBranchTraffic: allowBranchToBranchTraffic
      hubRoutingPreference: hubRoutingPreference
    },
    kept.?properties ?? {}
  )
}

resource ipConfiguration 'Microsoft.Network/virtualHubs/ipConfigurations@2025-05-01' = {
  parent: routeServer
  name: ipConfigurationName
  properties: {
    subnet: {
      id: routeServerSubnetResourceId
    }
    publicIPAddress: {
      id: publicIp.outputs.resourceId
    }
  }
}

@description('Resource ID of the Route Server.')
output resourceId string = routeServer.id

@description('Name of the Route Server.')
output name string = routeServer.name

@description('The Route Server\'s two instance IPs: NVAs peer with both.')
output virtualRouterIps string[] = routeServer.properties.virtualRouterIps

@description('The Route Server\'s ASN (always 65515).')
output virtualRouterAsn int = routeServer.properties.virtualRouterAsn
